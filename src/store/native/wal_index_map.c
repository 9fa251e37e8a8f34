/*
 * Tells whether an SQLite database in WAL mode has had a commit since the last time it was asked,
 * from a shared read-only mapping of its wal-index (`<database>-shm`), read the way SQLite's own
 * connections read it: no system call, no lock.
 *
 * Every commit, by any connection in any process, rewrites the wal-index header: two copies of a
 * 48-byte header at the start of the file (https://sqlite.org/walformat.html, "The WAL-Index
 * Header") whose iChange counter advances with each transaction. SQLite writes the second copy, a
 * barrier, then the first (walIndexWriteHdr); a reader copies the first, a barrier, the second, and
 * trusts them only if they agree and their checksum matches (walIndexTryHdr). This does the same.
 *
 * Why native, and why all of it in one call: the check runs once per event-loop turn of requests,
 * after the turn's other work has pushed its code out of the CPU's caches; see
 * src/store/wal-index.ts for what each way measured.
 *
 * Safety of the mapping: a page of a shared mapping past the end of its file faults (SIGBUS) when
 * touched. Only page 0 is mapped, only while the caller's own SQLite connection has the wal-index
 * open: that connection holds a shared lock on the file's DMS byte, and SQLite shrinks the file (to
 * 3 bytes, never to 0, so page 0 stays) only under an exclusive lock on that byte. A file shorter
 * than the header is refused before mapping.
 */
#define NAPI_VERSION 8
#include <node_api.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define HEADER_BYTES 48
#define HEADER_WORDS (HEADER_BYTES / 4)
/* iVersion of every wal-index SQLite has written since 3.7.0. */
#define WAL_INDEX_VERSION 3007000u
#define IS_INIT_OFFSET 12
/* aCksum: two words over the 40 bytes before them, in the machine's byte order. */
#define CHECKSUM_WORD 10
#define PATH_MAX_BYTES 4096

/* What check() answers; the same numbers as CommitCheck in wal-index.ts. */
enum { SAME = 0, CHANGED = 1, UNKNOWN = 2 };

typedef struct {
  const unsigned char *base;
  size_t length;
  /* The last trusted header, to compare the next one with. */
  uint32_t last[HEADER_WORDS];
  int has_last;
} watch;

static void unmap(watch *w) {
  if (w->base != NULL) {
    munmap((void *)w->base, w->length);
    w->base = NULL;
  }
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  unmap((watch *)data);
  free(data);
}

static napi_value throw_error(napi_env env, const char *what, int error) {
  char message[256];
  snprintf(message, sizeof message, "%s: %s", what, error != 0 ? strerror(error) : "failed");
  napi_throw_error(env, "ERR_WAL_INDEX", message);
  return NULL;
}

static watch *watch_of(napi_env env, napi_value value) {
  void *data = NULL;
  if (napi_get_value_external(env, value, &data) != napi_ok) return NULL;
  return (watch *)data;
}

static napi_value number(napi_env env, int32_t value) {
  napi_value result;
  napi_create_int32(env, value, &result);
  return result;
}

/* SQLite's walChecksumBytes with nativeCksum=1 over the first 40 bytes. */
static int checksum_matches(const uint32_t *header) {
  uint32_t s1 = 0, s2 = 0;
  for (int i = 0; i < CHECKSUM_WORD; i += 2) {
    s1 += header[i] + s2;
    s2 += header[i + 1] + s1;
  }
  return s1 == header[CHECKSUM_WORD] && s2 == header[CHECKSUM_WORD + 1];
}

/* open(shmPath: string): External. Throws when the file cannot be opened, is too short or cannot be mapped. */
static napi_value open_watch(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  char path[PATH_MAX_BYTES];
  size_t length = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_string_utf8(env, argv[0], path, sizeof path, &length) != napi_ok || length == 0 || length >= sizeof path - 1) {
    napi_throw_type_error(env, NULL, "open(path) needs a path of 1 to 4094 bytes");
    return NULL;
  }
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return throw_error(env, "open", errno);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int error = errno;
    close(fd);
    return throw_error(env, "fstat", error);
  }
  if (st.st_size < 2 * HEADER_BYTES) {
    close(fd);
    napi_throw_error(env, "ERR_WAL_INDEX", "the file is shorter than a wal-index header");
    return NULL;
  }
  long page = sysconf(_SC_PAGESIZE);
  size_t mapped_length = page > 0 ? (size_t)page : 4096;
  void *base = mmap(NULL, mapped_length, PROT_READ, MAP_SHARED, fd, 0);
  int map_error = errno;
  close(fd); /* the mapping keeps the file */
  if (base == MAP_FAILED) return throw_error(env, "mmap", map_error);
  watch *w = calloc(1, sizeof *w);
  if (w == NULL) {
    munmap(base, mapped_length);
    return throw_error(env, "calloc", ENOMEM);
  }
  w->base = base;
  w->length = mapped_length;
  napi_value external;
  if (napi_create_external(env, w, finalize, NULL, &external) != napi_ok) {
    finalize(env, w, NULL);
    return throw_error(env, "napi_create_external", 0);
  }
  return external;
}

/*
 * check(watch): 0 when the header is the one the previous answer saw, 1 when it differs (or on the
 * first call), 2 when no trustworthy header can be read now (torn by a writer, not initialised, a
 * version or checksum this code does not accept, or closed). After 2, the next trusted header is
 * compared with the last trusted one.
 */
static napi_value check(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) {
    napi_throw_type_error(env, NULL, "check(watch)");
    return NULL;
  }
  watch *w = watch_of(env, argv[0]);
  if (w == NULL) {
    napi_throw_type_error(env, NULL, "check: not a watch");
    return NULL;
  }
  if (w->base == NULL) return number(env, UNKNOWN);
  uint32_t first[HEADER_WORDS], second[HEADER_WORDS];
  memcpy(first, w->base, HEADER_BYTES);
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  memcpy(second, w->base + HEADER_BYTES, HEADER_BYTES);
  if (memcmp(first, second, HEADER_BYTES) != 0 || first[0] != WAL_INDEX_VERSION ||
      ((const unsigned char *)first)[IS_INIT_OFFSET] != 1 || !checksum_matches(first)) {
    return number(env, UNKNOWN);
  }
  if (w->has_last && memcmp(first, w->last, HEADER_BYTES) == 0) return number(env, SAME);
  memcpy(w->last, first, HEADER_BYTES);
  w->has_last = 1;
  return number(env, CHANGED);
}

/* close(watch): later checks answer 2. */
static napi_value close_watch(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return NULL;
  watch *w = watch_of(env, argv[0]);
  if (w != NULL) unmap(w);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor functions[] = {
      {"open", NULL, open_watch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"check", NULL, check, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, close_watch, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof functions / sizeof functions[0], functions) != napi_ok) return NULL;
  return exports;
}
