# bench_tables.awk: turns run_recorder_bench.sh's results into its tables (medians).
# Input, tab-separated, one line per run: table variant threads depth wall_ns cpu_ns
# maxrss_kb allocs events out_used_bytes out_disk_bytes recorder_events peak_rss_kb
# peak_anon_kb peak_file_kb.
# Variables: unw and fp (ns of one bare unw_backtrace / frame-pointer walk at depth 30),
# unw5 (a bare unw_backtrace at depth 5),
# variants (space-separated, in column order). Reads only; prints only.

function median(list,    a, n, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++)
        for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
            t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
        }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}

function remember(list, seen, order, value) {
    if (!((list, value) in seen)) {
        seen[list, value] = 1
        order[list] = order[list] (order[list] == "" ? "" : " ") value
    }
}

{
    k = $1 SUBSEP $2 SUBSEP $3 SUBSEP $4
    wall[k] = wall[k] " " $5; cpu[k] = cpu[k] " " $6; rss[k] = rss[k] " " $7
    allocs[k] = $8; events[k] = $9; used[k] = $10; disk[k] = $11
    recev[k] = $12 > 0 ? $12 : $9
    prss[k] = prss[k] " " $13; panon[k] = panon[k] " " $14; pfile[k] = pfile[k] " " $15
    runs[k]++
    remember($1 "threads", seen, order, $3)
    remember($1 "depths", seen, order, $4)
}

function key(table, variant, threads, depth) {
    return table SUBSEP variant SUBSEP threads SUBSEP depth
}
function mcpu(k) { return median(cpu[k]) }
function mwall(k) { return median(wall[k]) }
function mrss(k) { return median(rss[k]) }
# Start-up cost (no allocations) of variant, 0 when it was not measured.
function startup(v, what,    k) {
    k = key("start", v, 1, 5)
    if (!(k in runs))
        return 0
    return what == "wall" ? mwall(k) : mcpu(k)
}
# Extra CPU ns per unit (allocation or event) of variant over baseline, start-up excluded.
function extra_cpu(table, v, t, d, per,    kv, kb, fixed) {
    kv = key(table, v, t, d); kb = key(table, "baseline", t, d)
    fixed = startup(v, "cpu") - startup("baseline", "cpu")
    return (mcpu(kv) - mcpu(kb) - fixed) / (per == "alloc" ? allocs[kv] : events[kv])
}
function extra_wall(table, v, t, d,    kv, kb, fixed) {
    kv = key(table, v, t, d); kb = key(table, "baseline", t, d)
    fixed = startup(v, "wall") - startup("baseline", "wall")
    return (mwall(kv) - mwall(kb) - fixed) / events[kv]
}

function print_main(    nd, nt, nv, ds, ts, vs, i, j, m, k, kb, extra) {
    print "## Cost per allocation (each allocation is one ALLOC and one FREE event)"
    print ""
    printf "| %5s | %7s | %-9s | %8s | %8s | %14s | %9s | %11s | %10s |\n", "depth", "threads",
        "variant", "wall ms", "CPU ms", "extra CPU ns", "CPU ratio", "out B/event", "max RSS MB"
    print "|------:|--------:|:----------|---------:|---------:|---------------:|----------:|------------:|-----------:|"
    nd = split(order["maindepths"], ds, " "); nt = split(order["mainthreads"], ts, " ")
    nv = split(variants, vs, " ")
    for (i = 1; i <= nd; i++)
        for (j = 1; j <= nt; j++)
            for (m = 1; m <= nv; m++) {
                k = key("main", vs[m], ts[j], ds[i]); kb = key("main", "baseline", ts[j], ds[i])
                if (!(k in runs))
                    continue
                extra = vs[m] == "baseline" ? "-" : sprintf("%.0f", extra_cpu("main", vs[m], ts[j], ds[i], "alloc"))
                printf "| %5s | %7s | %-9s | %8.1f | %8.1f | %14s | %9.2f | %11s | %10.1f |\n", ds[i], ts[j],
                    vs[m], mwall(k) / 1e6, mcpu(k) / 1e6, extra, mcpu(k) / mcpu(kb),
                    vs[m] == "baseline" ? "-" : sprintf("%.1f", used[k] / recev[k]), mrss(k) / 1024
            }
    print ""
    print "extra CPU ns: (median CPU of the variant - median CPU of baseline - the variant's extra"
    print "start-up CPU, below) / allocations. CPU ratio: plain median CPU over baseline's."
    print "out B/event: trace bytes written (mtdb: used block bytes; heaptrack: its output file) / events."
    print ""
}

function print_startup(    nv, vs, m, k) {
    if (!(key("start", "baseline", 1, 5) in runs))
        return
    print "## Start-up and exit cost (the workload with --ops 0, 1 thread), subtracted above"
    print ""
    print "| variant   | wall ms | CPU ms | max RSS MB |"
    print "|:----------|--------:|-------:|-----------:|"
    nv = split(variants, vs, " ")
    for (m = 1; m <= nv; m++) {
        k = key("start", vs[m], 1, 5)
        if (k in runs)
            printf "| %-9s | %7.1f | %6.1f | %10.1f |\n", vs[m], mwall(k) / 1e6, mcpu(k) / 1e6, mrss(k) / 1024
    }
    print ""
}

function print_capture(    t1, p, f, nd, nt, ds, ts, i, j, w, n) {
    t1 = key("main", "precise", 1, 30)
    if (!(t1 in runs) || unw <= 0)
        return
    print "## Against one bare unw_backtrace: extra CPU per allocation + free (target: below it)"
    print ""
    print "| depth | threads | bare unw_backtrace ns | precise ns | ratio | nocache ns | ratio |"
    print "|------:|--------:|----------------------:|-----------:|------:|-----------:|------:|"
    nd = split(order["maindepths"], ds, " "); nt = split(order["mainthreads"], ts, " ")
    for (i = 1; i <= nd; i++)
        for (j = 1; j <= nt; j++) {
            w = ds[i] == 30 ? unw : ds[i] == 5 ? unw5 : 0
            if (w <= 0 || !(key("main", "precise", ts[j], ds[i]) in runs))
                continue
            p = extra_cpu("main", "precise", ts[j], ds[i], "alloc")
            n = key("main", "nocache", ts[j], ds[i]) in runs ? extra_cpu("main", "nocache", ts[j], ds[i], "alloc") : 0
            printf "| %5s | %7s | %21.1f | %10.0f | %5.2f | %10.0f | %5.2f |\n", ds[i], ts[j], w, p, p / w, n, n / w
        }
    print ""
    print "precise: the default (stack cache on); nocache: the same with MTDB_STACK_CACHE=off, every"
    print "frame walked by unw_backtrace."
    print ""
    p = extra_cpu("main", "precise", 1, 30, "alloc")
    print "## Everything but the stack capture (depth 30, 1 thread)"
    print ""
    printf "- bare unw_backtrace: %.1f ns; recorder precise (stack cache on): %.0f ns extra CPU" \
        " per allocation (%.2f of a bare walk)\n", unw, p, p / unw
    if (key("main", "nocache", 1, 30) in runs) {
        n = extra_cpu("main", "nocache", 1, 30, "alloc")
        printf "- recorder nocache (every frame walked by unw_backtrace): %.0f ns, so everything but" \
            " the walk is about %.0f ns, %.0f%% of a bare walk (target <= 20%%)\n", n, n - unw,
            100 * (n - unw) / unw
    }
    if (key("main", "fp", 1, 30) in runs) {
        f = extra_cpu("main", "fp", 1, 30, "alloc")
        printf "- bare frame-pointer walk: %.1f ns; recorder fp: %.0f ns extra CPU per allocation," \
            " so everything but the walk is about %.0f ns\n", fp, f, f - fp
    }
    print ""
}

function print_heaptrack(    nd, ds, i, nt, ts, j, p, h, hi) {
    if (!(key("main", "heaptrack", 1, 30) in runs))
        return
    print "## Against heaptrack: extra CPU of heaptrack / extra CPU of mtdb precise (target >= 8)"
    print ""
    print "| depth | threads | mtdb precise ns | heaptrack ns | heaptrack / mtdb | heaptrack in-process only ns | in-process / mtdb |"
    print "|------:|--------:|----------------:|-------------:|-----------------:|-----------------------------:|------------------:|"
    nd = split(order["maindepths"], ds, " "); nt = split(order["mainthreads"], ts, " ")
    for (i = 1; i <= nd; i++)
        for (j = 1; j <= nt; j++) {
            if (!(key("main", "heaptrack", ts[j], ds[i]) in runs))
                continue
            p = extra_cpu("main", "precise", ts[j], ds[i], "alloc")
            h = extra_cpu("main", "heaptrack", ts[j], ds[i], "alloc")
            hi = extra_cpu("main", "ht-inproc", ts[j], ds[i], "alloc")
            printf "| %5s | %7s | %15.0f | %12.0f | %16.1f | %28.0f | %17.1f |\n", ds[i], ts[j], p, h, h / p, hi, hi / p
        }
    print ""
    print "heaptrack: the tool as users run it (preload + heaptrack_interpret + compressor, all counted);"
    print "in-process only: libheaptrack_preload.so writing its raw stream to a file."
    print ""
}

function print_scaling(    nt, ts, d, j, p1, l1, p, l, kb, ht, h, hcol) {
    nt = split(order["scalethreads"], ts, " ")
    if (nt == 0)
        return
    d = order["scaledepths"]
    ht = key("scale", "heaptrack", ts[1], d) in runs
    print "## Thread scaling (depth " d ", same events per thread): extra ns per event"
    print ""
    printf "| threads | baseline CPU ms | precise CPU ns | vs 1 thread | lock CPU ns | vs 1 thread | precise wall ns | lock wall ns |"
    print ht ? " heaptrack CPU ns | heaptrack / precise |" : ""
    printf "|--------:|----------------:|---------------:|------------:|------------:|------------:|----------------:|-------------:|"
    print ht ? "-----------------:|--------------------:|" : ""
    p1 = extra_cpu("scale", "precise", ts[1], d, "event"); l1 = extra_cpu("scale", "lock", ts[1], d, "event")
    for (j = 1; j <= nt; j++) {
        p = extra_cpu("scale", "precise", ts[j], d, "event"); l = extra_cpu("scale", "lock", ts[j], d, "event")
        kb = key("scale", "baseline", ts[j], d)
        printf "| %7s | %15.1f | %14.1f | %+10.0f%% | %11.1f | %+10.0f%% | %15.1f | %12.1f |", ts[j],
            mcpu(kb) / 1e6, p, 100 * (p - p1) / p1, l, 100 * (l - l1) / l1,
            extra_wall("scale", "precise", ts[j], d), extra_wall("scale", "lock", ts[j], d)
        hcol = ""
        if (ht && key("scale", "heaptrack", ts[j], d) in runs) {
            h = extra_cpu("scale", "heaptrack", ts[j], d, "event")
            hcol = sprintf(" %16.1f | %19.1f |", h, h / p)
        }
        print hcol
    }
    print ""
    print "wall ns: extra wall-clock time per event; waiting on the lock shows here, and in CPU"
    print "only where the waiting spins."
    print ""
}

function print_memory(    nt, ts, t, d, kb, m, v, k, added) {
    nt = split(order["scalethreads"], ts, " ")
    if (nt == 0)
        return
    t = ts[nt]; d = order["scaledepths"]
    kb = key("scale", "baseline", t, d)
    print "## Memory at " t " threads (resident while all threads are alive, after their work)"
    print ""
    print "| variant  | RSS MB | added MB | added KB/thread | trace maps KB/thread | anon KB/thread | trace B/event (used) | (on disk) |"
    print "|:---------|-------:|---------:|----------------:|---------------------:|---------------:|---------------------:|----------:|"
    printf "| %-8s | %6.1f | %8s | %15s | %20s | %14s | %20s | %9s |\n", "baseline",
        median(prss[kb]) / 1024, "-", "-", "-", "-", "-", "-"
    split("precise lock", v, " ")
    for (m = 1; m <= 2; m++) {
        k = key("scale", v[m], t, d)
        added = median(prss[k]) - median(prss[kb])
        printf "| %-8s | %6.1f | %8.1f | %15.0f | %20.0f | %14.0f | %20.2f | %9.2f |\n", v[m],
            median(prss[k]) / 1024, added / 1024, added / t,
            (median(pfile[k]) - median(pfile[kb])) / t, (median(panon[k]) - median(panon[kb])) / t,
            used[k] / recev[k], disk[k] / recev[k]
    }
    print ""
    print "trace maps: RssFile added, the mapped chunks of the threads' trace files (MAP_POPULATE);"
    print "anon: RssAnon added, mostly the heap's own noise (glibc arenas vary from run to run)."
    print "on disk: chunks are reserved ahead (fallocate), so the files' blocks round up."
    print ""
}

END {
    print_main()
    print_startup()
    print_capture()
    print_heaptrack()
    print_scaling()
    print_memory()
}
