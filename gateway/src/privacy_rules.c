/*
 * privacy_rules.c - what the privacy guard calls person-level (DESIGN 10,
 * standards.md 7.4): field names that announce a BSN, a person's name or a
 * birth date, and values that fit them. The field NAME has to announce
 * it: about 9 % of random 9-digit numbers pass the 11-check, so a bare
 * number in an aggregate column is never enough.
 */
#include <stdint.h>
#include <string.h>

#include "privacy_internal.h"
#include "text.h"

#define BSN_DIGITS 9
#define PATH_MASK_RUN 8 /* digit runs this long are masked in paths */
#define CUT_MARK "..."

struct pattern_kind {
  const char *pattern;
  unsigned kinds;
};

/* Substrings of the normalised name (lower case, letters and digits only,
 * so "Client_BSN", "clientBsn" and "bsn-nummer" all match). */
static const struct pattern_kind contains_patterns[] = {
    {"bsn", PG_BSN_STRONG},         {"burgerservicenummer", PG_BSN_STRONG},
    {"sofi", PG_BSN_STRONG},        {"persoonsnummer", PG_BSN_STRONG},
    {"persoonsnr", PG_BSN_STRONG},  {"client", PG_BSN_CLIENT | PG_PERSON},
    {"persoon", PG_PERSON},         {"person", PG_PERSON},
    {"patient", PG_PERSON},         {"voornaam", PG_NAME},
    {"voornamen", PG_NAME},         {"achternaam", PG_NAME},
    {"voorletters", PG_NAME},       {"geslachtsnaam", PG_NAME},
    {"roepnaam", PG_NAME},          {"familienaam", PG_NAME},
    {"firstname", PG_NAME},         {"lastname", PG_NAME},
    {"surname", PG_NAME},           {"givenname", PG_NAME},
    {"familyname", PG_NAME},        {"geboortedatum", PG_BIRTH_DATE},
    {"geboortedag", PG_BIRTH_DATE}, {"birthdate", PG_BIRTH_DATE},
    {"birthday", PG_BIRTH_DATE},    {"dateofbirth", PG_BIRTH_DATE},
};

/* Whole normalised names. */
static const struct pattern_kind exact_patterns[] = {
    {"dob", PG_BIRTH_DATE},
    {"gebdat", PG_BIRTH_DATE},
    {"gebdatum", PG_BIRTH_DATE},
};

/* Names that are a person's name only inside a person object ("naam" of a
 * Client), or when the name itself says whose ("clientnaam"). */
static const char *const plain_name_words[] = {"naam", "name", "volledigenaam",
                                               "fullname"};

static int is_digit(unsigned char c) {
  return c >= '0' && c <= '9';
}

static int is_ascii_alnum(unsigned char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
         c == '\v';
}

/* Lower-case ASCII letters and digits only; e-diaeresis (UTF-8 and
 * Windows-1252) becomes 'e' so "Cliënt" matches "client". */
static size_t normalise_name(const char *name, size_t len, char *out,
                             size_t size) {
  size_t n = 0;
  for (size_t i = 0; i < len && n + 1 < size; i++) {
    unsigned char c = (unsigned char)name[i];
    if (c == 0xC3 && i + 1 < len &&
        ((unsigned char)name[i + 1] == 0xAB ||
         (unsigned char)name[i + 1] == 0x8B)) {
      out[n++] = 'e';
      i++;
    } else if (c == 0xEB || c == 0xCB) {
      out[n++] = 'e';
    } else if (is_ascii_alnum(c)) {
      out[n++] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
    }
  }
  out[n] = '\0';
  return n;
}

static int has_plain_name_word(const char *norm, int exact) {
  for (size_t i = 0; i < sizeof plain_name_words / sizeof *plain_name_words;
       i++) {
    if (exact ? strcmp(norm, plain_name_words[i]) == 0
              : strstr(norm, plain_name_words[i]) != NULL)
      return 1;
  }
  return 0;
}

unsigned pg_classify(const char *name, size_t len, int in_person) {
  char norm[PG_NAME_MAX];
  unsigned kinds = 0;
  if (len > PG_NAME_MAX - 1)
    len = PG_NAME_MAX - 1;
  normalise_name(name, len, norm, sizeof norm);
  if (!norm[0])
    return 0;
  for (size_t i = 0; i < sizeof contains_patterns / sizeof *contains_patterns;
       i++)
    if (strstr(norm, contains_patterns[i].pattern))
      kinds |= contains_patterns[i].kinds;
  for (size_t i = 0; i < sizeof exact_patterns / sizeof *exact_patterns; i++)
    if (strcmp(norm, exact_patterns[i].pattern) == 0)
      kinds |= exact_patterns[i].kinds;
  if ((in_person && has_plain_name_word(norm, 1)) ||
      ((kinds & PG_PERSON) && has_plain_name_word(norm, 0)))
    kinds |= PG_NAME;
  return kinds;
}

/* ---- BSN ---------------------------------------------------------------- */

/* The BSN 11-check (standards.md 7.4): 9*d1 + 8*d2 + ... + 2*d8 - d9 is a
 * multiple of 11. All zeros and all-same-digit runs are not numbers. */
static int passes_eleven_check(const char d[BSN_DIGITS]) {
  int sum = 0;
  int all_same = 1;
  for (int i = 0; i < BSN_DIGITS; i++) {
    if (d[i] != d[0])
      all_same = 0;
    if (i < BSN_DIGITS - 1)
      sum += (d[i] - '0') * (BSN_DIGITS - i);
  }
  sum -= d[BSN_DIGITS - 1] - '0';
  return !all_same && sum % 11 == 0;
}

/* digits: 8 or 9 digits; 8 get the leading zero old numbers lost. */
static int bsn_candidate(const char *digits, size_t n, char *material,
                         size_t material_size, size_t *material_len) {
  char d[BSN_DIGITS];
  if (n == BSN_DIGITS) {
    memcpy(d, digits, BSN_DIGITS);
  } else if (n == BSN_DIGITS - 1) {
    d[0] = '0';
    memcpy(d + 1, digits, BSN_DIGITS - 1);
  } else {
    return 0;
  }
  if (!passes_eleven_check(d) || material_size < BSN_DIGITS + 1)
    return 0;
  memcpy(material, d, BSN_DIGITS);
  material[BSN_DIGITS] = '\0';
  *material_len = BSN_DIGITS;
  return 1;
}

/* A digit run that is the fraction of a decimal number ("12,123456789") or
 * has a non-zero fraction ("123456789.5") is a measurement, not a token;
 * "999900006.0" (a spreadsheet's idea of an identifier) still is. */
static int run_is_token(const char *v, size_t len, size_t start, size_t end) {
  if (start >= 2 && (v[start - 1] == '.' || v[start - 1] == ',') &&
      is_digit((unsigned char)v[start - 2]))
    return 0;
  if (end + 1 < len && (v[end] == '.' || v[end] == ',') &&
      is_digit((unsigned char)v[end + 1])) {
    for (size_t i = end + 1; i < len && is_digit((unsigned char)v[i]); i++)
      if (v[i] != '0')
        return 0;
  }
  return 1;
}

/* "1234.56.782", "999 900 006", "9999-00-006": a formatted number. */
static int formatted_candidate(const char *v, size_t len, int allow_eight,
                               char *material, size_t material_size,
                               size_t *material_len) {
  char digits[BSN_DIGITS];
  size_t n = 0;
  int separators = 0;
  while (len > 0 && is_space((unsigned char)v[len - 1]))
    len--;
  while (len > 0 && is_space((unsigned char)*v)) {
    v++;
    len--;
  }
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)v[i];
    if (is_digit(c)) {
      if (n == BSN_DIGITS)
        return 0;
      digits[n++] = (char)c;
    } else if (c == ' ' || c == '.' || c == '-') {
      separators++;
    } else {
      return 0;
    }
  }
  if (!separators || (n == BSN_DIGITS - 1 && !allow_eight))
    return 0;
  return bsn_candidate(digits, n, material, material_size, material_len);
}

static int match_bsn(unsigned kinds, const char *v, size_t len, int truncated,
                     char *material, size_t material_size,
                     size_t *material_len) {
  int allow_eight = (kinds & PG_BSN_STRONG) != 0;
  size_t i = 0;
  while (i < len) {
    size_t start, n;
    if (!is_digit((unsigned char)v[i])) {
      i++;
      continue;
    }
    start = i;
    while (i < len && is_digit((unsigned char)v[i]))
      i++;
    n = i - start;
    if (truncated && i == len)
      break; /* the run may go on past the inspected prefix */
    if ((n == BSN_DIGITS || (n == BSN_DIGITS - 1 && allow_eight)) &&
        run_is_token(v, len, start, i) &&
        bsn_candidate(v + start, n, material, material_size, material_len))
      return 1;
  }
  return !truncated && formatted_candidate(v, len, allow_eight, material,
                                           material_size, material_len);
}

/* ---- names and dates ------------------------------------------------------
 */

static int has_letter(const char *v, size_t len) {
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)v[i];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80)
      return 1;
  }
  return 0;
}

static int digits_value(const char *s, size_t n) {
  int v = 0;
  for (size_t i = 0; i < n; i++)
    v = v * 10 + (s[i] - '0');
  return v;
}

static int plausible_ymd(int y, int m, int d) {
  return y >= 1800 && y <= 2199 && m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

/* "1980-05-17", "17-5-1980", "17/05/1980", "17 mei 1980",
 * "1980-05-17T00:00:00Z", "19800517": a year and a day or month next to
 * it. A bare year is not a birth date. */
static int date_like(const char *v, size_t len) {
  int has_year = 0, has_small = 0;
  size_t i = 0;
  while (i < len) {
    size_t start, n;
    if (!is_digit((unsigned char)v[i])) {
      i++;
      continue;
    }
    start = i;
    while (i < len && is_digit((unsigned char)v[i]))
      i++;
    n = i - start;
    if (n == 4) {
      int y = digits_value(v + start, 4);
      has_year |= y >= 1800 && y <= 2199;
    } else if (n == 1 || n == 2) {
      has_small = 1;
    } else if (n == 8) {
      const char *s = v + start;
      if (plausible_ymd(digits_value(s, 4), digits_value(s + 4, 2),
                        digits_value(s + 6, 2)) ||
          plausible_ymd(digits_value(s + 4, 4), digits_value(s + 2, 2),
                        digits_value(s, 2)))
        return 1;
    }
  }
  return has_year && has_small;
}

static void trim(const char **v, size_t *len) {
  while (*len > 0 && is_space((unsigned char)(*v)[*len - 1]))
    (*len)--;
  while (*len > 0 && is_space((unsigned char)**v)) {
    (*v)++;
    (*len)--;
  }
}

static int copy_material(const char *v, size_t len, char *material,
                         size_t material_size, size_t *material_len) {
  if (material_size == 0)
    return 0;
  if (len > material_size - 1)
    len = material_size - 1;
  memcpy(material, v, len);
  material[len] = '\0';
  *material_len = len;
  return 1;
}

int pg_match_value(unsigned kinds, const char *value, size_t len, int truncated,
                   const char **kind_name, char *material, size_t material_size,
                   size_t *material_len) {
  if ((kinds & (PG_BSN_STRONG | PG_BSN_CLIENT)) &&
      match_bsn(kinds, value, len, truncated, material, material_size,
                material_len)) {
    *kind_name = "bsn";
    return 1;
  }
  trim(&value, &len);
  if ((kinds & PG_NAME) && has_letter(value, len) &&
      copy_material(value, len, material, material_size, material_len)) {
    *kind_name = "name";
    return 1;
  }
  if ((kinds & PG_BIRTH_DATE) && date_like(value, len) &&
      copy_material(value, len, material, material_size, material_len)) {
    *kind_name = "birth_date";
    return 1;
  }
  return 0;
}

/* ---- findings ----------------------------------------------------------- */

static int salted_hash(const struct gw_privacy_settings *settings,
                       const char *material, size_t len,
                       char hex[GW_SHA256_HEX_SIZE]) {
  struct gw_sha256 *st = sha256_begin();
  if (!st)
    return -1;
  if (sha256_update(st, settings->salt, sizeof settings->salt) != 0 ||
      sha256_update(st, material, len) != 0) {
    sha256_abort(st);
    return -1;
  }
  return sha256_finish_hex(st, hex);
}

int pg_record(struct pg_scan *s, const char *kind_name, const char *path,
              const char *material, size_t material_len) {
  struct gw_privacy_finding *f = s->finding;
  memset(f, 0, sizeof *f);
  text_copy(f->kind, sizeof f->kind, kind_name);
  text_copy(f->format, sizeof f->format, s->format);
  if (text_copy(f->path, sizeof f->path, path) != 0)
    memcpy(f->path + sizeof f->path - sizeof CUT_MARK, CUT_MARK,
           sizeof CUT_MARK);
  if (salted_hash(s->settings, material, material_len, f->value_hash) != 0) {
    text_format(s->err, s->err_size,
                "%s: person-level %s found at %s, but hashing it failed "
                "(out of memory?)",
                s->file, kind_name, f->path);
    return -1;
  }
  return 1;
}

int pg_check(struct pg_scan *s, unsigned kinds, const char *value, size_t len,
             int truncated, const char *path) {
  char material[PG_VALUE_MAX + 1];
  size_t material_len = 0;
  const char *kind_name = NULL;
  int rc;
  if (!(kinds & PG_VALUE_KINDS))
    return 0;
  if (!pg_match_value(kinds, value, len, truncated, &kind_name, material,
                      sizeof material, &material_len))
    return 0;
  rc = pg_record(s, kind_name, path, material, material_len);
  memset(material, 0, sizeof material);
  return rc;
}

/* ---- paths -------------------------------------------------------------- */

static void append_bytes(char *path, size_t size, size_t *used, char c) {
  if (*used + 1 < size) {
    path[(*used)++] = c;
    path[*used] = '\0';
  }
}

void pg_path_append_name(char *path, size_t size, const char *name,
                         size_t len) {
  size_t used;
  if (size == 0)
    return;
  used = strlen(path);
  for (size_t i = 0; i < len;) {
    unsigned char c = (unsigned char)name[i];
    if (is_digit(c)) {
      size_t end = i;
      while (end < len && is_digit((unsigned char)name[end]))
        end++;
      for (size_t k = i; k < end; k++)
        append_bytes(path, size, &used,
                     end - i >= PATH_MASK_RUN ? '#' : name[k]);
      i = end;
      continue;
    }
    append_bytes(path, size, &used, c < 0x20 || c == 0x7F ? '?' : (char)c);
    i++;
  }
}

void pg_path_append(char *path, size_t size, const char *text) {
  (void)text_append(path, size, text); /* a cut path is marked later */
}
