/*
 * dimensions.c - dimension metadata: which column is the area, the period,
 * the Marges (value/CI bounds) or a breakdown, and each member's title and
 * period status. Kept for the whole run; it is small (area dimensions are
 * never loaded, see cbs_v3_run).
 */
#include "cbs_odata.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void trimmed_span(const char *text, const char **start, size_t *len) {
  size_t n;

  while (*text == ' ' || *text == '\t')
    text++;
  n = strlen(text);
  while (n > 0 && (text[n - 1] == ' ' || text[n - 1] == '\t'))
    n--;
  *start = text;
  *len = n;
}

static char *trimmed_copy(const char *text) {
  const char *start;
  size_t len;
  char *out;

  trimmed_span(text, &start, &len);
  out = malloc(len + 1);
  if (!out)
    return NULL;
  memcpy(out, start, len);
  out[len] = '\0';
  return out;
}

int cbs_dim_role_from_type(const char *type, const char *key,
                           enum cbs_dim_role *out) {
  if (!type)
    return -1;
  if (strcmp(type, "TimeDimension") == 0) {
    *out = CBS_DIM_TIME;
  } else if (strcmp(type, "GeoDimension") == 0 ||
             strcmp(type, "GeoDetail") == 0) {
    *out = CBS_DIM_GEO;
  } else if (strcmp(type, "Dimension") == 0) {
    *out = key && strcmp(key, "Marges") == 0 ? CBS_DIM_MARGES : CBS_DIM_PLAIN;
  } else {
    return -1;
  }
  return 0;
}

int cbs_dims_add(struct cbs_dimensions *dims, const char *key,
                 enum cbs_dim_role role, const char *breakdown_name) {
  struct cbs_dimension *grown;
  char *copy = strdup(key);

  if (!copy)
    return -1;
  grown = realloc(dims->items, (dims->count + 1) * sizeof *grown);
  if (!grown) {
    free(copy);
    return -1;
  }
  dims->items = grown;
  memset(&dims->items[dims->count], 0, sizeof dims->items[0]);
  dims->items[dims->count].key = copy;
  dims->items[dims->count].role = role;
  dims->items[dims->count].breakdown_name = breakdown_name;
  dims->count++;
  return 0;
}

gw_status cbs_period_status(const char *text, int *known) {
  *known = 1;
  if (!text || strcasecmp(text, "Definitief") == 0 ||
      strcasecmp(text, "Final") == 0)
    return GW_STATUS_UNSET; /* the host makes it FINAL or MISSING */
  if (strcasecmp(text, "Voorlopig") == 0 ||
      strcasecmp(text, "Nader voorlopig") == 0 ||
      strcasecmp(text, "Provisional") == 0)
    return GW_STATUS_PROVISIONAL;
  *known = 0;
  return GW_STATUS_UNSET;
}

int cbs_marges_component(const char *key, gw_component *out) {
  const char *start;
  size_t len;

  trimmed_span(key, &start, &len);
  if (len == 7 && strncmp(start, "MW00000", 7) == 0)
    *out = GW_COMPONENT_VALUE;
  else if (len == 7 && strncmp(start, "MOG0095", 7) == 0)
    *out = GW_COMPONENT_CI_LOW;
  else if (len == 7 && strncmp(start, "MBG0095", 7) == 0)
    *out = GW_COMPONENT_CI_HIGH;
  else
    return -1;
  return 0;
}

static int member_compare(const void *a, const void *b) {
  const struct cbs_member *ma = a;
  const struct cbs_member *mb = b;
  return strcmp(ma->key, mb->key);
}

static void member_free(struct cbs_member *m) {
  free(m->key);
  free(m->title);
  free(m->status_text);
}

static int member_fill(struct cbs_member *m, const json_t *row,
                       const char *key_field, int is_time,
                       const struct gw_host_api *host, struct gw_run *run,
                       const char *where) {
  const char *key = cbs_json_string(row, key_field);
  const char *title = cbs_json_string(row, "Title");
  const char *status = cbs_json_string(row, "Status");
  int known;

  memset(m, 0, sizeof *m);
  m->key = trimmed_copy(key);
  m->title = strdup(title ? title : key);
  m->status_text = status ? strdup(status) : NULL;
  if (!m->key || !m->title || (status && !m->status_text))
    return -1;
  if (!is_time)
    return 0;
  m->status = cbs_period_status(status, &known);
  if (!known)
    host->log(run, GW_LOG_WARN,
              "%s: period %s has Status \"%s\", which is neither Definitief "
              "nor Voorlopig; its figures are stored without a period status",
              where, m->key, status);
  return 0;
}

gw_result cbs_dim_add_member(struct cbs_dimension *dim, const json_t *row,
                             const char *key_field,
                             const struct gw_host_api *host, struct gw_run *run,
                             const char *where) {
  if (!json_is_object(row) || !cbs_json_string(row, key_field)) {
    char reason[128];
    snprintf(reason, sizeof reason, "expected an object with a string %s",
             key_field);
    host->reject(run, where, reason);
    return GW_OK;
  }
  if (dim->member_count == dim->member_cap) {
    size_t cap = dim->member_cap ? dim->member_cap * 2 : 16;
    struct cbs_member *grown = realloc(dim->members, cap * sizeof *grown);
    if (!grown)
      goto oom;
    dim->members = grown;
    dim->member_cap = cap;
  }
  if (member_fill(&dim->members[dim->member_count], row, key_field,
                  dim->role == CBS_DIM_TIME, host, run, where) != 0) {
    member_free(&dim->members[dim->member_count]);
    goto oom;
  }
  dim->member_count++;
  return GW_OK;
oom:
  host->log(run, GW_LOG_ERROR, "%s: out of memory for the members of %s", where,
            dim->key);
  return GW_FAIL;
}

void cbs_dim_sort(struct cbs_dimension *dim) {
  if (dim->member_count > 1)
    qsort(dim->members, dim->member_count, sizeof *dim->members,
          member_compare);
}

const struct cbs_member *cbs_dim_find(const struct cbs_dimension *dim,
                                      const char *key) {
  const char *start;
  size_t len;
  size_t lo = 0;
  size_t hi = dim->member_count;

  trimmed_span(key, &start, &len);
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const char *candidate = dim->members[mid].key;
    int cmp = strncmp(start, candidate, len);
    if (cmp == 0 && candidate[len] != '\0')
      cmp = -1; /* the probe is a proper prefix: it sorts first */
    if (cmp == 0)
      return &dim->members[mid];
    if (cmp < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  return NULL;
}

void cbs_dims_free(struct cbs_dimensions *dims) {
  size_t i;
  size_t j;

  for (i = 0; i < dims->count; i++) {
    for (j = 0; j < dims->items[i].member_count; j++)
      member_free(&dims->items[i].members[j]);
    free(dims->items[i].members);
    free(dims->items[i].key);
  }
  free(dims->items);
  dims->items = NULL;
  dims->count = 0;
}
