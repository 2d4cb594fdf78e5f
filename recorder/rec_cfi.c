/* rec_cfi.c: the unwind rule of one instruction, read from the module's .eh_frame.
 *
 * The cached walker (rec_unwind.c) follows frames whose rule has the common x86-64
 * shape: the frame's CFA is rsp or rbp plus a constant, the return address is at
 * CFA - 8, and the caller's rbp is either unchanged or saved at a constant offset from
 * the CFA. This file finds the FDE of a pc through the module's .eh_frame_hdr search
 * table and runs its CFA program up to the pc. The one other frame it names is the
 * kernel's signal return trampoline, whose registers the walker reads from the
 * ucontext, and the one CFA expression it evaluates is the PLT's. Anything else (another
 * expression, another signal frame, a register rule on another register, a pc with no
 * FDE) is "not followed", and the walker leaves that stack to unw_backtrace. Reads only
 * the module's mapped, read-only unwind tables and the trampoline's code, inside
 * dl_iterate_phdr so the module cannot go away meanwhile; never allocates.
 */
#include <elf.h>
#include <link.h>

#include "rec_internal.h"

#ifndef PT_GNU_EH_FRAME
#define PT_GNU_EH_FRAME 0x6474e550
#endif

enum {
    DW_REG_RBP = 6,
    DW_REG_RSP = 7,
    DW_REG_RA = 16,
    RULE_SAME = 0, /* register rules while the program runs */
    RULE_OFFSET,
    RULE_UNDEFINED,
    RULE_OTHER,
    CFI_STATE_STACK = 8,
};

/* x86-64 Linux's signal return trampoline (glibc's __restore_rt): mov $15,%rax; syscall.
 * The kernel makes it the handler's return address; its FDE, marked 'S', begins one byte
 * before it, so that the lookup at return address - 1 finds it. */
static const uint8_t sigreturn_code[] = {0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05};

/* A window of readable bytes: every read is checked against end. */
typedef struct cfi_cursor {
    const uint8_t *p, *end;
    int bad;
} cfi_cursor_t;

static uint64_t read_uleb(cfi_cursor_t *c)
{
    uint64_t v = 0;
    for (int shift = 0; c->p < c->end && shift < 64; shift += 7) {
        uint8_t b = *c->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    c->bad = 1;
    return 0;
}

static int64_t read_sleb(cfi_cursor_t *c)
{
    uint64_t v = 0;
    int shift = 0;
    while (c->p < c->end && shift < 64) {
        uint8_t b = *c->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80)) {
            if (shift < 64 && (b & 0x40))
                v |= ~(uint64_t)0 << shift;
            return (int64_t)v;
        }
    }
    c->bad = 1;
    return 0;
}

static uint64_t read_fixed(cfi_cursor_t *c, unsigned bytes)
{
    if ((size_t)(c->end - c->p) < bytes) {
        c->bad = 1;
        return 0;
    }
    uint64_t v = 0;
    memcpy(&v, c->p, bytes); /* little-endian: the low bytes */
    c->p += bytes;
    return v;
}

/* A DW_EH_PE-encoded pointer: absolute, or relative to its own address (pcrel) or to
 * the start of .eh_frame_hdr (datarel). Indirect pointers are read as their address
 * (only the personality routine uses them, and its value is not needed). */
static uintptr_t read_encoded(cfi_cursor_t *c, uint8_t enc, uintptr_t datarel)
{
    if (enc == 0xff) { /* DW_EH_PE_omit */
        c->bad = 1;
        return 0;
    }
    uintptr_t here = (uintptr_t)c->p;
    uint64_t v;
    switch (enc & 0x0f) {
    case 0x00:
        v = read_fixed(c, 8);
        break;
    case 0x01:
        v = read_uleb(c);
        break;
    case 0x02:
        v = read_fixed(c, 2);
        break;
    case 0x03:
        v = read_fixed(c, 4);
        break;
    case 0x04:
        v = read_fixed(c, 8);
        break;
    case 0x09:
        v = (uint64_t)read_sleb(c);
        break;
    case 0x0a:
        v = (uint64_t)(int64_t)(int16_t)read_fixed(c, 2);
        break;
    case 0x0b:
        v = (uint64_t)(int64_t)(int32_t)read_fixed(c, 4);
        break;
    case 0x0c:
        v = read_fixed(c, 8);
        break;
    default:
        c->bad = 1;
        return 0;
    }
    switch (enc & 0x70) {
    case 0x00:
        return (uintptr_t)v;
    case 0x10:
        return here + (uintptr_t)v;
    case 0x30:
        return datarel + (uintptr_t)v;
    default:
        c->bad = 1;
        return 0;
    }
}

/* ---- the CFA program ---------------------------------------------------------------- */

typedef struct cfi_row {
    uint64_t cfa_reg;
    int64_t cfa_off;
    int cfa_expr;
    const uint8_t *expr; /* the CFA's expression, when cfa_expr */
    uint64_t expr_len;
    uint8_t rule[2]; /* [0] rbp, [1] return address */
    int64_t offset[2];
} cfi_row_t;

typedef struct cfi_program {
    uint64_t code_align;
    int64_t data_align;
    uint64_t ra_reg;
    uint8_t fde_enc;
    int signal_frame;
    int has_z;         /* augmentation "z...": FDEs carry an augmentation length */
    cfi_row_t initial; /* after the CIE's instructions: what DW_CFA_restore goes back to */
} cfi_program_t;

static int tracked(uint64_t reg, const cfi_program_t *prog)
{
    return reg == DW_REG_RBP ? 0 : reg == prog->ra_reg ? 1 : -1;
}

static void set_rule(cfi_row_t *row, const cfi_program_t *prog, uint64_t reg, uint8_t rule,
                     int64_t off)
{
    int i = tracked(reg, prog);
    if (i >= 0)
        row->rule[i] = rule, row->offset[i] = off;
}

/* Runs instructions until the row that covers pc (pc < 0: to the end, the CIE's
 * initial instructions). Returns 0, or -1 on an instruction it does not know. */
static int run_cfa_program(cfi_cursor_t *c, const cfi_program_t *prog, cfi_row_t *row,
                           uintptr_t loc, uintptr_t pc, int to_end)
{
    cfi_row_t saved[CFI_STATE_STACK];
    int depth = 0;
    while (c->p < c->end && !c->bad) {
        uint8_t op = *c->p++;
        uint64_t reg, delta = 0;
        int advance = 0;
        switch (op >> 6) {
        case 1:
            delta = (op & 0x3f) * prog->code_align, advance = 1;
            break;
        case 2:
            set_rule(row, prog, op & 0x3f, RULE_OFFSET, (int64_t)read_uleb(c) * prog->data_align);
            continue;
        case 3: {
            int i = tracked(op & 0x3f, prog);
            if (i >= 0)
                row->rule[i] = prog->initial.rule[i], row->offset[i] = prog->initial.offset[i];
            continue;
        }
        default:
            break;
        }
        if (!advance) {
            switch (op) {
            case 0x00:
                break;   /* nop */
            case 0x01: { /* set_loc */
                uintptr_t to = read_encoded(c, prog->fde_enc, 0);
                if (!to_end && to > pc)
                    return 0;
                loc = to;
                break;
            }
            case 0x02:
                delta = read_fixed(c, 1) * prog->code_align, advance = 1;
                break;
            case 0x03:
                delta = read_fixed(c, 2) * prog->code_align, advance = 1;
                break;
            case 0x04:
                delta = read_fixed(c, 4) * prog->code_align, advance = 1;
                break;
            case 0x05:
                reg = read_uleb(c);
                set_rule(row, prog, reg, RULE_OFFSET, (int64_t)read_uleb(c) * prog->data_align);
                break;
            case 0x06: { /* restore_extended */
                int i = tracked(read_uleb(c), prog);
                if (i >= 0)
                    row->rule[i] = prog->initial.rule[i], row->offset[i] = prog->initial.offset[i];
                break;
            }
            case 0x07:
                set_rule(row, prog, read_uleb(c), RULE_UNDEFINED, 0);
                break;
            case 0x08:
                set_rule(row, prog, read_uleb(c), RULE_SAME, 0);
                break;
            case 0x09:
                reg = read_uleb(c), read_uleb(c);
                set_rule(row, prog, reg, RULE_OTHER, 0);
                break;
            case 0x0a:
                if (depth == CFI_STATE_STACK)
                    return -1;
                saved[depth++] = *row;
                break;
            case 0x0b:
                if (depth == 0)
                    return -1;
                *row = saved[--depth];
                break;
            case 0x0c:
                row->cfa_reg = read_uleb(c), row->cfa_off = (int64_t)read_uleb(c);
                row->cfa_expr = 0;
                break;
            case 0x0d:
                row->cfa_reg = read_uleb(c), row->cfa_expr = 0;
                break;
            case 0x0e:
                row->cfa_off = (int64_t)read_uleb(c);
                break;
            case 0x0f: { /* def_cfa_expression */
                uint64_t len = read_uleb(c);
                if (len > (uint64_t)(c->end - c->p))
                    return -1;
                row->expr = c->p, row->expr_len = len;
                c->p += len;
                row->cfa_expr = 1;
                break;
            }
            case 0x10:   /* expression */
            case 0x16: { /* val_expression */
                reg = read_uleb(c);
                uint64_t len = read_uleb(c);
                if (len > (uint64_t)(c->end - c->p))
                    return -1;
                c->p += len;
                set_rule(row, prog, reg, RULE_OTHER, 0);
                break;
            }
            case 0x11:
                reg = read_uleb(c);
                set_rule(row, prog, reg, RULE_OFFSET, read_sleb(c) * prog->data_align);
                break;
            case 0x12:
                row->cfa_reg = read_uleb(c), row->cfa_off = read_sleb(c) * prog->data_align;
                row->cfa_expr = 0;
                break;
            case 0x13:
                row->cfa_off = read_sleb(c) * prog->data_align;
                break;
            case 0x14: /* val_offset */
                reg = read_uleb(c), read_uleb(c);
                set_rule(row, prog, reg, RULE_OTHER, 0);
                break;
            case 0x15: /* val_offset_sf */
                reg = read_uleb(c), read_sleb(c);
                set_rule(row, prog, reg, RULE_OTHER, 0);
                break;
            case 0x2e:
                read_uleb(c);
                break; /* GNU_args_size: the CFA does not depend on it */
            case 0x2f:
                reg = read_uleb(c);
                set_rule(row, prog, reg, RULE_OFFSET, -(int64_t)read_uleb(c) * prog->data_align);
                break;
            default:
                return -1;
            }
        }
        if (advance) {
            if (!to_end && loc + delta > pc)
                return 0;
            loc += delta;
        }
    }
    return c->bad ? -1 : 0;
}

/* ---- CIE and FDE ---------------------------------------------------------------------- */

/* Reads the CIE at cie (inside [cie, limit)), leaving prog ready for its FDEs. */
static int read_cie(const uint8_t *cie, const uint8_t *limit, cfi_program_t *prog)
{
    cfi_cursor_t c = {cie, limit, 0};
    uint64_t len = read_fixed(&c, 4);
    if (len == 0 || len == 0xffffffffu || len > (uint64_t)(c.end - c.p))
        return -1;
    c.end = c.p + len;
    if (read_fixed(&c, 4) != 0) /* CIE id */
        return -1;
    uint8_t version = (uint8_t)read_fixed(&c, 1);
    const char *aug = (const char *)c.p;
    while (c.p < c.end && *c.p)
        c.p++;
    if (c.p >= c.end)
        return -1;
    c.p++;
    prog->code_align = read_uleb(&c);
    prog->data_align = read_sleb(&c);
    prog->ra_reg = version == 1 ? read_fixed(&c, 1) : read_uleb(&c);
    prog->fde_enc = 0;
    prog->signal_frame = 0;
    prog->has_z = aug[0] == 'z';
    if (prog->has_z) {
        uint64_t aug_len = read_uleb(&c);
        if (aug_len > (uint64_t)(c.end - c.p))
            return -1;
        const uint8_t *aug_end = c.p + aug_len;
        for (const char *a = aug + 1; *a && !c.bad; a++) {
            if (*a == 'R')
                prog->fde_enc = (uint8_t)read_fixed(&c, 1);
            else if (*a == 'P')
                read_encoded(&c, (uint8_t)read_fixed(&c, 1) & 0x7f, 0);
            else if (*a == 'L')
                read_fixed(&c, 1);
            else if (*a == 'S')
                prog->signal_frame = 1;
            else
                break; /* unknown: the length lets us skip the rest */
        }
        c.p = aug_end;
    } else if (aug[0]) {
        return -1; /* old "eh" augmentations: not produced by current compilers */
    }
    if (c.bad || prog->ra_reg != DW_REG_RA)
        return -1;
    cfi_row_t *row = &prog->initial;
    memset(row, 0, sizeof *row);
    row->rule[0] = row->rule[1] = RULE_SAME;
    prog->initial.rule[0] = prog->initial.rule[1] = RULE_SAME;
    return run_cfa_program(&c, prog, row, 0, 0, 1);
}

/* The one CFA expression linkers write, for the lazy-binding PLT's 16-byte entries:
 * CFA = rsp + 8 + ((rip & 15) >= N ? 8 : 0), the 8 for the index an entry pushes before
 * it jumps to the resolver at byte N. It depends on rip alone, so at pc it is an offset
 * from rsp, true where the frame's rip is pc itself: a frame a signal interrupted (no
 * call returns into a PLT). Returns 0 and the offset at *off, or -1 for any other
 * expression. */
static int plt_cfa_offset(const uint8_t *expr, uint64_t len, uintptr_t pc, int64_t *off)
{
    /* DW_OP_breg7 (rsp) 8; DW_OP_breg16 (rip) 0; DW_OP_lit15; DW_OP_and; DW_OP_lit<N>;
     * DW_OP_ge; DW_OP_lit3; DW_OP_shl; DW_OP_plus */
    static const uint8_t head[] = {0x77, 0x08, 0x80, 0x00, 0x3f, 0x1a};
    static const uint8_t tail[] = {0x2a, 0x33, 0x24, 0x22};
    if (len != sizeof head + 1 + sizeof tail || memcmp(expr, head, sizeof head) != 0 ||
        expr[sizeof head] < 0x30 || expr[sizeof head] > 0x4f ||
        memcmp(expr + sizeof head + 1, tail, sizeof tail) != 0)
        return -1;
    unsigned n = expr[sizeof head] - 0x30u; /* DW_OP_lit<n> */
    *off = 8 + ((pc & 15) >= n ? 8 : 0);
    return 0;
}

/* The rule for pc from the FDE at fde, inside the segment [start, limit); 0 when pc is
 * inside the FDE's range. */
static int rule_from_fde(const uint8_t *fde, const uint8_t *start, const uint8_t *limit,
                         uintptr_t pc, rec_frame_rule_t *rule)
{
    cfi_cursor_t c = {fde, limit, 0};
    uint64_t len = read_fixed(&c, 4);
    if (len == 0 || len == 0xffffffffu || len > (uint64_t)(c.end - c.p))
        return -1;
    c.end = c.p + len;
    const uint8_t *id_at = c.p;
    uint32_t cie_off = (uint32_t)read_fixed(&c, 4);
    if (cie_off == 0 || cie_off > (uintptr_t)(id_at - start))
        return -1; /* the CIE would lie outside the segment */
    cfi_program_t prog;
    if (read_cie(id_at - cie_off, limit, &prog) != 0)
        return -1;
    uintptr_t begin = read_encoded(&c, prog.fde_enc, 0);
    uintptr_t range = read_encoded(&c, prog.fde_enc & 0x0f, 0);
    if (c.bad || pc < begin || pc - begin >= range)
        return -1;
    if (prog.signal_frame) {
        /* its rules are expressions over the ucontext; find_cb checks that the code is the
         * sigreturn trampoline the walker knows how to step */
        if (range - (pc - begin) < sizeof sigreturn_code + 1)
            return -1;
        memset(rule, 0, sizeof *rule);
        rule->kind = REC_RULE_SIGNAL;
        return 0;
    }
    if (prog.has_z) {
        uint64_t aug_len = read_uleb(&c);
        if (aug_len > (uint64_t)(c.end - c.p))
            return -1;
        c.p += aug_len;
    }
    cfi_row_t row = prog.initial;
    if (run_cfa_program(&c, &prog, &row, begin, pc, 0) != 0)
        return -1;
    int exact_pc = 0;
    if (row.cfa_expr) {
        if (plt_cfa_offset(row.expr, row.expr_len, pc, &row.cfa_off) != 0)
            return -1;
        row.cfa_reg = DW_REG_RSP, exact_pc = 1;
    }
    if ((row.cfa_reg != DW_REG_RSP && row.cfa_reg != DW_REG_RBP) || row.cfa_off < INT32_MIN ||
        row.cfa_off > INT32_MAX)
        return -1;
    memset(rule, 0, sizeof *rule);
    rule->exact_pc = (uint8_t)exact_pc;
    rule->cfa_off = (int32_t)row.cfa_off;
    rule->cfa_reg = row.cfa_reg == DW_REG_RSP ? REC_CFA_RSP : REC_CFA_RBP;
    if (row.rule[1] == RULE_UNDEFINED) {
        rule->kind = REC_RULE_LAST;
        return 0;
    }
    if (row.rule[1] != RULE_OFFSET || row.offset[1] != -8)
        return -1;
    if (row.rule[0] == RULE_OFFSET) {
        if (row.offset[0] == 0 || row.offset[0] < INT16_MIN || row.offset[0] > INT16_MAX)
            return -1;
        rule->bp_off = (int16_t)row.offset[0];
    } else if (row.rule[0] != RULE_SAME) {
        return -1;
    }
    rule->kind = REC_RULE_STEP;
    return 0;
}

/* ---- finding the FDE ------------------------------------------------------------------- */

typedef struct find_ctx {
    uintptr_t pc;
    rec_frame_rule_t *rule;
    int found;    /* 1: the module that holds pc was met */
    uint64_t gen; /* dlpi_adds + dlpi_subs */
} find_ctx_t;

/* The end of the PT_LOAD segment that holds addr (its start at *start): the bounds on
 * reads of the unwind tables in it. NULL when no segment holds addr. */
static const uint8_t *segment_end(const struct dl_phdr_info *info, uintptr_t addr,
                                  const uint8_t **start)
{
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && addr >= lo && addr < lo + ph->p_memsz) {
            *start = (const uint8_t *)lo;
            return (const uint8_t *)(lo + ph->p_memsz);
        }
    }
    return NULL;
}

/* Binary search of .eh_frame_hdr's table (initial location, FDE), both 4-byte offsets
 * from the header: the form every current linker writes. */
static int rule_from_hdr(const struct dl_phdr_info *info, const uint8_t *hdr, uintptr_t pc,
                         rec_frame_rule_t *rule)
{
    const uint8_t *start;
    const uint8_t *limit = segment_end(info, (uintptr_t)hdr, &start);
    if (!limit || limit - hdr < 4 || hdr[0] != 1 || hdr[3] != 0x3b)
        return -1;
    cfi_cursor_t c = {hdr + 4, limit, 0};
    read_encoded(&c, hdr[1], (uintptr_t)hdr); /* .eh_frame itself: not needed */
    uint64_t count = read_encoded(&c, hdr[2], (uintptr_t)hdr);
    if (c.bad || count > (uint64_t)(limit - c.p) / 8)
        return -1;
    const int32_t *table = (const int32_t *)(const void *)c.p;
    intptr_t rel = (intptr_t)(pc - (uintptr_t)hdr);
    uint64_t lo = 0, hi = count;
    while (lo < hi) { /* the last entry whose start is <= pc */
        uint64_t mid = lo + (hi - lo) / 2;
        if ((intptr_t)table[2 * mid] <= rel)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return -1;
    const uint8_t *fde = hdr + table[2 * (lo - 1) + 1];
    const uint8_t *fde_limit = segment_end(info, (uintptr_t)fde, &start);
    if (!fde_limit)
        return -1;
    return rule_from_fde(fde, start, fde_limit, pc, rule);
}

/* The sigreturn trampoline begins at code, inside one of the module's segments. */
static int is_sigreturn(const struct dl_phdr_info *info, uintptr_t code)
{
    const uint8_t *start;
    const uint8_t *end = segment_end(info, code, &start);
    return end && (size_t)(end - (const uint8_t *)code) >= sizeof sigreturn_code &&
           memcmp((const void *)code, sigreturn_code, sizeof sigreturn_code) == 0;
}

static int find_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    find_ctx_t *f = arg;
    f->gen = info->dlpi_adds + info->dlpi_subs;
    const uint8_t *hdr = NULL;
    int holds = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && f->pc >= lo && f->pc < lo + ph->p_memsz)
            holds = 1;
        else if (ph->p_type == PT_GNU_EH_FRAME)
            hdr = (const uint8_t *)lo;
    }
    if (!holds)
        return 0;
    f->found = 1;
    if (!hdr || rule_from_hdr(info, hdr, f->pc, f->rule) != 0)
        f->rule->kind = REC_RULE_UNKNOWN;
    else if (f->rule->kind == REC_RULE_SIGNAL && !is_sigreturn(info, f->pc + 1))
        f->rule->kind = REC_RULE_UNKNOWN; /* another libc's, or a program's own restorer */
    return 1;
}

/* ---- modules that stay ------------------------------------------------------------------
 * What the program was linked with is loaded at start-up and never unloaded: only a
 * module dlopen'ed later can be unloaded, and another module mapped where it was, with
 * other rules for the same addresses. The code ranges of the modules present when the
 * recorder starts are noted once; a rule from anywhere else is marked unloadable, and a
 * walk that used one checks the module map's generation (rec_unwind.c). */
#define REC_STARTUP_RANGES 64

static uintptr_t startup_lo[REC_STARTUP_RANGES], startup_hi[REC_STARTUP_RANGES];
static unsigned startup_n;

static int startup_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size, (void)arg;
    for (int i = 0; i < info->dlpi_phnum && startup_n < REC_STARTUP_RANGES; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        startup_lo[startup_n] = info->dlpi_addr + ph->p_vaddr;
        startup_hi[startup_n] = startup_lo[startup_n] + ph->p_memsz;
        startup_n++;
    }
    return 0;
}

void rec_unwind_note_startup_modules(void)
{
    startup_n = 0;
    dl_iterate_phdr(startup_cb, NULL);
}

static int loaded_at_startup(uintptr_t pc)
{
    for (unsigned i = 0; i < startup_n; i++)
        if (pc >= startup_lo[i] && pc < startup_hi[i])
            return 1;
    return 0;
}

uint64_t rec_cfi_rule(uintptr_t pc, rec_frame_rule_t *rule)
{
    find_ctx_t f = {pc, rule, 0, 0};
    dl_iterate_phdr(find_cb, &f);
    if (!f.found)
        rule->kind = REC_RULE_UNKNOWN;
    rule->pc = pc;
    rule->unloadable = !loaded_at_startup(pc);
    return f.gen;
}
