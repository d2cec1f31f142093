/** Platform errors: the documented HTTP status, code and description, sent as {"error_code","error_desc"}. */

export class PlatformError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly description: string,
  ) {
    super(`${status} ${code} ${description}`);
  }

  body(): { error_code: string; error_desc: string } {
    return { error_code: this.code, error_desc: this.description };
  }
}

const fail = (status: number, code: string, description: string) => (detail?: string) =>
  new PlatformError(status, code, detail ? `${description} ${detail}` : description);

/** One constructor per documented code; the description texts follow the platform's wording. */
export const errors = {
  appFrozen: fail(400, '100247', 'The application is frozen and the operation is not allowed.'),
  mandatoryMissing: fail(400, '102202', 'The mandatory parameter is null or empty.'),
  inputInvalid: fail(400, '50400', 'The input is invalid.'),
  wrongCredentials: fail(401, '100208', 'AppId or secret is not right.'),
  internal: fail(500, '50252', 'Internal server error.'),
  badRequest: fail(400, '120015', 'Bad request error.'),
  versionMismatch: fail(400, '123016', 'The parameter targetVersion does not match the devices.'),
  manufacturerEmpty: fail(400, '123019', 'manufacturerName is null.'),
  deviceTypeEmpty: fail(400, '123020', 'deviceType is null.'),
  modelEmpty: fail(400, '123021', 'model is null.'),
  noTargets: fail(400, '123022', 'deviceGroups and devices cannot be null together.'),
  bothTargets: fail(400, '123023', 'deviceGroups and devices cannot coexist.'),
  tooManyTargets: fail(400, '123024', 'The number of deviceGroups or devices cannot be more than 256.'),
  executeTypeInvalid: fail(400, '123025', 'executeType is null or invalid.'),
  timeInvalid: fail(400, '123026', 'startTime or endTime is null or in a wrong format.'),
  retryTimesInvalid: fail(400, '123028', 'retryTimes is null or out of range [1, 5].'),
  pagingInvalid: fail(400, '123029', 'pageNo or pageSize beyond the limit.'),
  startAfterEnd: fail(400, '123032', 'startTime cannot be later than endTime.'),
  startInPast: fail(400, '123033', 'startTime cannot be earlier than the current time.'),
  windowTooShort: fail(400, '123034', 'endTime must be more than 5 minutes later than startTime.'),
  fileOrDeviceNotFound: fail(404, '123002', 'Device or package file not found.'),
  taskNotFound: fail(404, '123009', 'The requested task does not exist.'),
  throttled: fail(403, '1010009', 'app throttle exceed.'),
  tokenInvalid: fail(403, '1010005', 'App_key or access_token is invalid.'),
  parameterInvalid: fail(400, '100405', 'The request parameter is invalid.'),
  appMissing: (status: number) => fail(status, '100203', 'The application is not existed.')(),
  appUnauthorised: (status: number) => fail(status, '100217', 'The application hasn\'t been authorized.')(),
  deviceNotFound: fail(404, '100403', 'The device is not existed.'),
  deviceDataNotFound: fail(404, '100418', 'The deviceData is not existed.'),
  groupNotFound: fail(200, '100603', 'The device group is not exist.'),
  serviceNotFound: fail(400, '107001', 'The serviceId is not exist.'),
  propertiesEmpty: fail(400, '107002', 'The properties is empty in database.'),
  callbackIllegal: fail(400, '100222', 'The callback url is illegal.'),
  appInputInvalid: fail(400, '100228', 'The application input is invalid.'),
  tooManyResults: fail(400, '100224', 'The resource exceeds 1000, please refine the query conditions.'),
  subscriptionNotFound: fail(404, '100225', 'The resource is not found.'),
  alreadySubscribed: fail(409, '100227', 'The resource is conflicted.'),
  batchInputInvalid: fail(400, '100022', 'The input is invalid.'),
  batchTaskNotFound: fail(404, '105005', 'The batch task does not exist.'),
} as const;
