/**
 * The desktop shell's API as the window sees it (`window.udfStudioDesktop`, from the preload), and
 * the IPC channel behind each method. Absent in a browser: the window checks before offering these.
 */

/** The global name the preload exposes the API under. */
export const DESKTOP_API_NAME = 'udfStudioDesktop';

/** One IPC channel per method; the preload's copy is checked against this by the type-checker. */
export const DESKTOP_CHANNELS = {
  chooseFolder: 'udf-studio:choose-folder',
  revealPath: 'udf-studio:reveal-path',
  openInEditor: 'udf-studio:open-in-editor',
  setCurrentUdf: 'udf-studio:set-current-udf',
} as const;

export type DesktopChannels = typeof DESKTOP_CHANNELS;

export interface DesktopApi {
  /** Asks the user for a folder (a workspace to add); null when cancelled. */
  chooseFolder(): Promise<string | null>;
  /** Shows a file or folder inside a workspace in the system's file manager. */
  revealPath(path: string): Promise<void>;
  /** Opens a UDF's source file (.py, .json, .md, .txt) inside a workspace in the user's editor. */
  openInEditor(path: string): Promise<void>;
  /** Tells the shell which UDF the window shows, for the menu's "Copy Tile URL"; null for none. */
  setCurrentUdf(name: string | null): Promise<void>;
}
