/* cli_static_prog.c: built with -static for the CLI tests: `mtdb record` must refuse it.
 *
 * Never runs under a test; only its ELF headers matter.
 */
int main(void)
{
    return 0;
}
