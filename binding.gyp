# The one native part of gatehouse (built by `npm ci` / `npm install` through node-gyp, like
# better-sqlite3): see src/store/native/wal_index_map.c.
{
  "targets": [
    {
      "target_name": "wal_index_map",
      "sources": ["src/store/native/wal_index_map.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
