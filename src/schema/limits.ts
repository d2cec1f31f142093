/** The most items one connection field returns; the gateway reads as many platform pages as that takes. */
export const MAX_FIRST = 500;
export const DEFAULT_FIRST = 20;
