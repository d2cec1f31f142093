/**
 * The example operations the playground opens with, one tab each, in this order. They use the names of the
 * GraphQL contract (DESIGN.md §2); tests validate them against the schema, so a renamed field fails a test
 * rather than a user's first click.
 */
export interface PlaygroundExample {
  /** The operation, as shown in the editor; GraphiQL titles the tab with its operation name. */
  query: string;
  /** Shown in the variables editor, as JSON. */
  variables?: Record<string, unknown>;
}

const dashboard: PlaygroundExample = {
  query: `query Dashboard {
  operations(first: 20) {
    nodes {
      id
      status
      stats {
        total
        success
        fail
        progress
      }
      subtasks(first: 10) {
        nodes {
          status
          device {
            name
            fwVersion
            status
          }
        }
      }
    }
  }
}
`,
};

const deviceUpgradeHistory: PlaygroundExample = {
  query: `# Set deviceId in Variables below (add \`id\` to
# \`device\` in the Dashboard to list some).
query DeviceUpgradeHistory($deviceId: ID!) {
  device(id: $deviceId) {
    id
    name
    deviceType
    model
    manufacturerName
    fwVersion
    swVersion
    status
    operations(first: 5) {
      totalCount
      nodes {
        id
        type
        status
        targetVersion
        createdAt
        stoppedAt
        stats {
          total
          success
          fail
          progress
        }
      }
    }
  }
}
`,
  variables: { deviceId: 'DEVICE-ID' },
};

const failedSubtasks: PlaygroundExample = {
  query: `# Set operationId in Variables below (the
# Dashboard lists the latest operations).
query FailedSubtasks($operationId: ID!) {
  operation(id: $operationId) {
    id
    type
    status
    targetVersion
    stats {
      total
      fail
      timeout
      successRate
    }
    subtasks(status: FAILED, first: 20) {
      totalCount
      nodes {
        deviceId
        status
        detail
        stoppedAt
        device {
          name
          fwVersion
          status
        }
      }
    }
  }
}
`,
  variables: { operationId: 'OPERATION-ID' },
};

const batchTaskDetails: PlaygroundExample = {
  query: `# Set taskId in Variables below.
query BatchTaskDetails($taskId: ID!) {
  batchTask(id: $taskId) {
    id
    name
    type
    status
    startedAt
    timeout
    stats {
      total
      success
      fail
      timeout
      progress
      successRate
    }
    tags {
      name
      value
    }
    details(first: 20) {
      totalCount
      nodes {
        status
        deviceId
        output
        error {
          code
          description
        }
        device {
          name
          status
        }
      }
    }
  }
}
`,
  variables: { taskId: 'TASK-ID' },
};

const firmwarePackages: PlaygroundExample = {
  query: `query FirmwarePackages($type: PackageType = FIRMWARE) {
  upgradePackages(filter: { type: $type }, first: 20) {
    totalCount
    nodes {
      id
      name
      version
      type
      deviceType
      model
      manufacturerName
      uploadedAt
    }
  }
}
`,
};

const QUERIES: readonly PlaygroundExample[] = [dashboard, deviceUpgradeHistory, failedSubtasks, batchTaskDetails, firmwarePackages];

const createFirmwareUpgradeTask: PlaygroundExample = {
  query: `# Rolls a firmware package out to devices. Take a FIRMWARE package's id from the firmware packages tab and
# devices of the same deviceType, model and manufacturer. Validation happens before any platform call; running
# it again with the same idempotencyKey returns the same task instead of creating a second one.
mutation CreateFirmwareUpgrade($input: CreateUpgradeTaskInput!) {
  createFirmwareUpgradeTask(input: $input) {
    operationId
    operation {
      id
      status
      targetVersion
      stats {
        total
        wait
      }
    }
  }
}
`,
  variables: {
    input: {
      fileId: 'PACKAGE-ID',
      targets: { deviceIds: ['DEVICE-ID'] },
      policy: { executeType: 'NOW', retry: true, retryTimes: 2 },
      idempotencyKey: 'rollout-2026-001',
    },
  },
};

const liveProgress: PlaygroundExample = {
  query: `# Live: every upgrade task as it moves (its subtasks' steps and results come from the platform's
# notifications). Run it, then create a task in the previous tab: its progress appears here.
# It runs over a WebSocket; where a proxy refuses those, open this page as /graphql?transport=sse
# to run it over Server-Sent Events.
subscription LiveProgress {
  operationsChanged {
    id
    status
    stats {
      total
      success
      fail
      progress
    }
  }
}
`,
};

/** Mutation examples follow the queries, then the live one. */
const MUTATIONS: readonly PlaygroundExample[] = [createFirmwareUpgradeTask];
const SUBSCRIPTIONS: readonly PlaygroundExample[] = [liveProgress];

/** Every tab; the first one (the dashboard) is the one shown when the playground opens. */
export const EXAMPLES: readonly PlaygroundExample[] = [...QUERIES, ...MUTATIONS, ...SUBSCRIPTIONS];
