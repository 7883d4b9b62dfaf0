declare module 'device-file' {
  /**
   * The file hypercore-storage keeps in a storage directory (`CORESTORE`) to tell whether the
   * directory was copied or moved since it was made.
   */
  class DeviceFile {
    /** False when the file says its directory was copied, moved or restored; true otherwise (or absent). */
    static validate(filename: string, data: Record<string, string | null>): Promise<boolean>
  }

  export = DeviceFile
}
