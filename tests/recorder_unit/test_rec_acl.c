/* test_rec_acl.c: the output directory's ACL entry for the user a program changes to
 * (rec_acl.c): the kernel takes the image the recorder writes by hand, entries for two
 * users live side by side, granting twice adds nothing, owner and others keep what they
 * had, and the user can then create files there (as root: a child that becomes it).
 * Exits 77 where the file system takes no ACL.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "tst_scratch.h"
#include "rec_internal.h"

#define ACL_XATTR "system.posix_acl_access"

static char dir[4096];

static int make_dir(void)
{
    return tst_scratch_make(dir, sizeof dir, "acl"); /* 0700 */
}

/* The ACL as "tag:perm:id" words (id -1 for the unnamed entries). */
static void acl_text(char *out, size_t cap)
{
    uint8_t buf[1024];
    ssize_t got = getxattr(dir, ACL_XATTR, buf, sizeof buf);
    ck_assert_int_ge(got, 4);
    size_t n = 0;
    out[0] = 0;
    for (ssize_t at = 4; at + 8 <= got; at += 8) {
        uint16_t tag, perm;
        int32_t id;
        memcpy(&tag, buf + at, 2), memcpy(&perm, buf + at + 2, 2), memcpy(&id, buf + at + 4, 4);
        n += (size_t)snprintf(out + n, cap - n, "%s%x:%u:%d", n ? " " : "", tag, perm, (int)id);
    }
}

START_TEST(test_rec_acl_two_users_sorted_once_each)
{
    ck_assert_int_eq(make_dir(), 0);
    ck_assert_int_eq(rec_acl_grant_dir(dir, 65534), 0);
    ck_assert_int_eq(rec_acl_grant_dir(dir, 1000), 0);
    ck_assert_int_eq(rec_acl_grant_dir(dir, 65534), 0);
    char text[512];
    acl_text(text, sizeof text);
    ck_assert_str_eq(text, "1:7:-1 2:7:1000 2:7:65534 4:0:-1 10:7:-1 20:0:-1");
    struct stat st;
    ck_assert_int_eq(stat(dir, &st), 0);
    ck_assert_int_eq(st.st_uid, geteuid());
    ck_assert_int_eq(st.st_mode & 07777, 0770); /* group bits show the mask */
    tst_scratch_remove(dir);
}
END_TEST

/* As root: a child that becomes nobody creates a file in the directory, which a 0700
 * directory of root's would refuse. */
START_TEST(test_rec_acl_new_user_may_create_files)
{
    if (geteuid() != 0)
        return; /* only root can become another user */
    ck_assert_int_eq(make_dir(), 0);
    ck_assert_int_eq(rec_acl_grant_dir(dir, 65534), 0);
    char file[4200];
    snprintf(file, sizeof file, "%s/made-by-nobody", dir);
    pid_t pid = fork();
    if (pid == 0) {
        if (setgid(65534) != 0 || setuid(65534) != 0)
            _exit(3);
        int fd = open(file, O_RDWR | O_CREAT | O_EXCL, 0600);
        _exit(fd >= 0 ? 0 : errno == EACCES ? 4 : 5);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child: %d", status);
    struct stat st;
    ck_assert_int_eq(stat(file, &st), 0);
    ck_assert_int_eq(st.st_uid, 65534);
    unlink(file);
    tst_scratch_remove(dir);
}
END_TEST

/* The file system under TMPDIR must take an ACL for any of this to mean something. */
static int acl_supported(void)
{
    if (make_dir() != 0)
        return 0;
    int rc = rec_acl_grant_dir(dir, 65534);
    tst_scratch_remove(dir);
    return rc != EOPNOTSUPP;
}

int main(void)
{
    if (!acl_supported()) {
        fprintf(stderr, "skipped: the file system under TMPDIR takes no POSIX ACL\n");
        return 77;
    }
    Suite *s = suite_create("recorder_acl");
    TCase *tc = tcase_create("acl");
    tcase_add_test(tc, test_rec_acl_two_users_sorted_once_each);
    tcase_add_test(tc, test_rec_acl_new_user_may_create_files);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    return tst_run_runner(sr, NULL);
}
