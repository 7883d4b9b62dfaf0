declare module 'abstract-level/test' {
  /** abstract-level's own test suite: registers its tests on `test` (tape's API), each on dbs from `factory`. */
  function suite(options: { test: unknown; factory: (options?: object) => unknown }): void
  export = suite
}
