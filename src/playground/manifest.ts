/** What the build (build.ts) tells the server (index.ts) about the bundle it wrote. */
export interface PlaygroundManifest {
  /** File names in the assets folder: the page loads these two; the script knows the rest. */
  script: string;
  style: string;
}

/** In dist/playground/, beside the assets/ folder. */
export const MANIFEST_FILE = 'manifest.json';
