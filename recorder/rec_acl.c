/* rec_acl.c: lets one more user create files in the output directory, by its POSIX ACL.
 *
 * Before a program running as root gives up its user id, the recorder grants the new
 * user a named ACL entry (rwx) on the output directory, so the threads the program starts
 * afterwards can still create their files there. The directory keeps its owner and mode
 * for everyone else. The ACL is the kernel's xattr image (system.posix_acl_access),
 * edited by hand: no libacl, no malloc, no stdio.
 */
#include <errno.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "rec_internal.h"

#define ACL_XATTR "system.posix_acl_access"
#define ACL_VERSION 2
enum {
    ACL_USER_OBJ = 0x01,
    ACL_USER = 0x02,
    ACL_GROUP_OBJ = 0x04,
    ACL_GROUP = 0x08,
    ACL_MASK = 0x10,
    ACL_OTHER = 0x20
};
#define ACL_NO_ID 0xffffffffu
#define ACL_RWX 7u
#define ACL_MAX_ENTRIES 64

typedef struct acl_entry {
    uint16_t tag, perm;
    uint32_t id;
} acl_entry_t;

/* The kernel's ACL image: a 4-byte version, then 8-byte entries. */
typedef struct acl_image {
    uint32_t version;
    acl_entry_t e[ACL_MAX_ENTRIES];
} acl_image_t;

/* The three entries a directory without an ACL has, from its mode bits. */
static uint32_t acl_from_mode(acl_image_t *acl, mode_t mode)
{
    acl->version = ACL_VERSION;
    acl->e[0] = (acl_entry_t){ACL_USER_OBJ, (uint16_t)((mode >> 6) & 7), ACL_NO_ID};
    acl->e[1] = (acl_entry_t){ACL_GROUP_OBJ, (uint16_t)((mode >> 3) & 7), ACL_NO_ID};
    acl->e[2] = (acl_entry_t){ACL_OTHER, (uint16_t)(mode & 7), ACL_NO_ID};
    return 3;
}

/* Sets perm on the entry (tag, id), adding it when missing; returns the new count. */
static uint32_t acl_put(acl_image_t *acl, uint32_t n, uint16_t tag, uint32_t id, uint16_t perm)
{
    for (uint32_t i = 0; i < n; i++)
        if (acl->e[i].tag == tag && acl->e[i].id == id) {
            acl->e[i].perm |= perm;
            return n;
        }
    if (n == ACL_MAX_ENTRIES)
        return n;
    acl->e[n] = (acl_entry_t){tag, perm, id};
    return n + 1;
}

/* The kernel takes entries ordered by tag, then by id. */
static void acl_sort(acl_image_t *acl, uint32_t n)
{
    for (uint32_t i = 1; i < n; i++) {
        acl_entry_t e = acl->e[i];
        uint32_t j = i;
        for (; j > 0 && (acl->e[j - 1].tag > e.tag ||
                         (acl->e[j - 1].tag == e.tag && acl->e[j - 1].id > e.id));
             j--)
            acl->e[j] = acl->e[j - 1];
        acl->e[j] = e;
    }
}

/* Named entries need a mask; a new one passes what the group class had (nothing is
 * widened for anyone but the new user). */
static uint32_t acl_ensure_mask(acl_image_t *acl, uint32_t n)
{
    uint16_t group_class = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (acl->e[i].tag == ACL_MASK) {
            acl->e[i].perm |= ACL_RWX;
            return n;
        }
        if (acl->e[i].tag & (ACL_USER | ACL_GROUP_OBJ | ACL_GROUP))
            group_class |= acl->e[i].perm;
    }
    return acl_put(acl, n, ACL_MASK, ACL_NO_ID, group_class | ACL_RWX);
}

int rec_acl_grant_dir(const char *dir, uint32_t uid)
{
    struct stat st;
    if (stat(dir, &st) != 0)
        return -errno;
    acl_image_t acl;
    ssize_t got = getxattr(dir, ACL_XATTR, &acl, sizeof acl);
    uint32_t n;
    if (got >= 4 && acl.version == ACL_VERSION && (got - 4) % sizeof(acl_entry_t) == 0)
        n = (uint32_t)((got - 4) / sizeof(acl_entry_t));
    else if (got < 0 && errno != ENODATA)
        return -errno;
    else
        n = acl_from_mode(&acl, st.st_mode);
    n = acl_put(&acl, n, ACL_USER, uid, ACL_RWX);
    n = acl_ensure_mask(&acl, n);
    acl_sort(&acl, n);
    if (setxattr(dir, ACL_XATTR, &acl, 4 + n * sizeof(acl_entry_t), 0) != 0)
        return -errno;
    return 0;
}
