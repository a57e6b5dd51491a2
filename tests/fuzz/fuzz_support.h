/*
 * fuzz_support.h - small helpers shared by the libFuzzer harnesses.
 *
 * Not a harness itself (the CMake glob only builds fuzz_*.c). Everything
 * is static inline so a harness that uses only part of it still builds
 * with -Werror.
 */
#ifndef GW_FUZZ_SUPPORT_H
#define GW_FUZZ_SUPPORT_H

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The loaders under test read files, so each input is written to one
 * fixed per-process path (the pid keeps parallel -jobs apart) that is
 * overwritten for every input: no file litter however long the run. */
static char fuzz_path[256];

static inline void fuzz_remove_temp(void) {
  if (fuzz_path[0])
    (void)unlink(fuzz_path);
}

static inline const char *fuzz_temp_path(const char *tag) {
  if (fuzz_path[0])
    return fuzz_path;
  if (text_format(fuzz_path, sizeof fuzz_path, "/tmp/gw-fuzz-%s-%ld.tmp", tag,
                  (long)getpid()) != 0 ||
      atexit(fuzz_remove_temp) != 0)
    abort();
  return fuzz_path;
}

/* Writes data to path, replacing its contents; aborts on I/O failure
 * (that is the machine, not a finding). */
static inline void fuzz_write_file(const char *path, const uint8_t *data,
                                   size_t size) {
  size_t done = 0;
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    abort();
  while (done < size) {
    ssize_t n = write(fd, data + done, size - done);
    if (n <= 0)
      abort();
    done += (size_t)n;
  }
  if (close(fd) != 0)
    abort();
}

/* 1 when buf[0..size) holds a NUL, i.e. the string ends inside it. */
static inline int fuzz_terminated(const char *buf, size_t size) {
  return memchr(buf, '\0', size) != NULL;
}

#endif
