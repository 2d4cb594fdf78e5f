/* dump_main.c: `mtdb dump` as a program of its own, for the format tests.
 *
 * The mtdb executable dispatches to the same function; this lets the dump tests run
 * without it. Must do nothing but hand argv over (argv[0] stands for "dump").
 */
int mtdb_cmd_dump(int argc, char **argv);

int main(int argc, char **argv)
{
    return mtdb_cmd_dump(argc, argv);
}
