/* cli_empty_preload.c: an empty shared object, the "other" LD_PRELOAD entry in the CLI
 * tests (mtdb record must append to it, not replace it). Must stay empty.
 */
int cli_empty_preload_marker;
