/* real_quiet.c: a program that runs for about a second without a single heap call, as a
 * program whose allocator is hidden from the recorder would look. No stdio, no heap.
 */
#include <time.h>

int main(void)
{
    struct timespec left = {1, 0};
    while (nanosleep(&left, &left) != 0)
        ;
    return 0;
}
