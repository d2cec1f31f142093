/** What the console's build (build.ts) tells its server (index.ts): the two files the page loads. */
export interface ConsoleManifest {
  script: string;
  style: string;
}

// The same name as the playground's: both are read by one loader (loadBundle).
export { MANIFEST_FILE } from '../playground/manifest.js';
