/* A library the missing_dep plugin links against; it is built outside the
 * search path so that loading the plugin fails. */
int gwtest_dep_value(void);
int gwtest_dep_value(void) {
  return 7;
}
