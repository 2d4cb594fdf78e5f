/* cli_exit_prog.c: a dynamically linked program for the CLI tests: exits with argv[1].
 *
 * With no argument it exits 0. Must stay dynamically linked: the tests preload into it.
 */
#include <stdlib.h>

int main(int argc, char **argv)
{
    return argc > 1 ? atoi(argv[1]) : 0;
}
