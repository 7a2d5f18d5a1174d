/** A file that changed on disk while it had edits in the window: both texts, for the user to pick. */
export interface DiskConflict {
  file: string;
  disk: string;
  mine: string;
}
