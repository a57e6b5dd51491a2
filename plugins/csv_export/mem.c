/*
 * mem.c - counted allocation. Each block carries its size in a header so
 * the per-context live/peak counters stay exact without a lookup table.
 */
#include "csv_export.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

union csvx_block {
  size_t size;
  max_align_t align;
};

static void count_alloc(struct csvx_mem *mem, size_t size) {
  mem->live += size;
  if (mem->live > mem->peak)
    mem->peak = mem->live;
}

void *csvx_alloc(struct csvx_mem *mem, size_t size) {
  union csvx_block *b;

  if (size > SIZE_MAX - sizeof *b)
    return NULL;
  b = malloc(sizeof *b + size);
  if (!b)
    return NULL;
  b->size = size;
  count_alloc(mem, size);
  return b + 1;
}

void *csvx_zalloc(struct csvx_mem *mem, size_t size) {
  void *p = csvx_alloc(mem, size);
  if (p)
    memset(p, 0, size);
  return p;
}

void *csvx_realloc(struct csvx_mem *mem, void *ptr, size_t size) {
  union csvx_block *old;
  union csvx_block *grown;
  size_t old_size;

  if (!ptr)
    return csvx_alloc(mem, size);
  if (size > SIZE_MAX - sizeof *old)
    return NULL;
  old = (union csvx_block *)ptr - 1;
  old_size = old->size;
  grown = realloc(old, sizeof *grown + size);
  if (!grown)
    return NULL;
  grown->size = size;
  mem->live -= old_size;
  count_alloc(mem, size);
  return grown + 1;
}

void csvx_free(struct csvx_mem *mem, void *ptr) {
  union csvx_block *b;

  if (!ptr)
    return;
  b = (union csvx_block *)ptr - 1;
  mem->live -= b->size;
  free(b);
}
