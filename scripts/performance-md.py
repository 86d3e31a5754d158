#!/usr/bin/env python3
"""Writes docs/performance.md from the benches' JSON output (scripts/bench-report runs them and then this).

    scripts/performance-md.py DIR [OUT]

DIR holds bench_decode.json (bench/bench_decode.cpp --json), bench_core.json (Google Benchmark's
--benchmark_out), and when they were run bench_gguf_1b-TYPE.json (one per stored type), llama_cpp-TYPE.json
(scripts/llama-cpp-bench.mjs on the same files) and gui_frame_time.json; OUT defaults to docs/performance.md.
Every figure in the page comes from those files: nothing here is typed in by hand except the llama.cpp figures
the issue quotes, marked as such.
"""
import json
import os
import sys


def load(directory, name):
    path = os.path.join(directory, name)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def medians(core):
    """Google Benchmark's median aggregates (or the plain runs when there was one repetition), by name."""
    out = {}
    for b in core.get("benchmarks", []):
        name = (b["run_name"] if "run_name" in b else b["name"]).split("/")[0]  # without "/min_time:1.000"
        if b.get("aggregate_name") == "median" or ("aggregate_name" not in b and name not in out):
            out[name] = b
    return out


def ms(b):
    unit = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[b.get("time_unit", "ns")]
    return b["real_time"] * unit


def decode_section(d):
    lines = ["## Decode against a plain C loop (stories15M shape)", ""]
    lines.append(f"`build/bench/bench_decode --runs {d['runs']}`: {d['model']}; medians of {d['runs']} interleaved runs; "
                 f"every run generated the same tokens: {'yes' if d['tokens_identical'] else 'NO'}.")
    for key in ("generation", "prefill"):
        s = d[key]
        lines += ["", f"### {s['title']}", "",
                  "| configuration | threads | tokens/s | peak MiB | baseline time / kvscope time |",
                  "|---|---:|---:|---:|---:|"]
        for r in s["results"]:
            lines.append(f"| {r['configuration']} | {r['threads']} | {r['tokens_per_second']:.1f} | "
                         f"{r['peak_mib']:.1f} | {r['baseline_over_kvscope']:.2f} |")
    if "stored_forms" in d:
        lines += ["", "### kvscope by stored form (256 positions)", "",
                  "The same weights stored each way kvscope keeps them; peak memory is a whole `kvscope generate` "
                  "process on one thread.", "",
                  "| weights | file weight MiB | tokens/s, 1 thread | tokens/s, 2 threads | peak MiB |",
                  "|---|---:|---:|---:|---:|"]
        for r in d["stored_forms"]:
            lines.append(f"| {r['weights']} | {r['file_weight_mib']:.1f} | {r['tokens_per_second_1_thread']:.1f} | "
                         f"{r['tokens_per_second_2_threads']:.1f} | {r['peak_mib']:.1f} |")
    lines += ["", "For scale (quoted by issue 12, not measured here): llama.cpp decodes the same shape at 436 tokens/s "
              "on 1 thread and 514 on 2 in F32, 1,101 on 1 thread in Q8_0."]
    return lines


def trace_section(core):
    m = medians(core)
    rows = [("decode step, no sink", "BM_DecodeStep_NoSink"), ("decode step, shape-only sink", "BM_DecodeStep_ShapeSink"),
            ("decode step, value-capturing sink", "BM_DecodeStep_ValueSink"),
            ("meta trace of openllama-3b", "BM_MetaTraceOpenLlama")]
    lines = ["## Trace cost", "", "`build/bench/bench_core --benchmark_filter='Sink|Meta|Record' --benchmark_repetitions=3` "
             "(medians, default thread count):", "", "| benchmark | median ms | against no sink |", "|---|---:|---:|"]
    base = ms(m["BM_DecodeStep_NoSink"]) if "BM_DecodeStep_NoSink" in m else None
    for label, name in rows:
        if name not in m:
            continue
        t = ms(m[name])
        ratio = f"{t / base:.2f}x" if base and name.startswith("BM_DecodeStep") else ""
        lines.append(f"| {label} | {t:.3f} | {ratio} |")
    if "BM_DecodeStep_SinkRatios" in m:
        r = m["BM_DecodeStep_SinkRatios"]
        lines += ["", "The separate benchmarks above wander by several percent between runs on this VM, more than the "
                  "shape-only sink costs. `BM_DecodeStep_SinkRatios` steps the three kinds in turn over one cache and "
                  "times each step alone, so a drift of the machine falls on all three; the ratios of the medians:", "",
                  "| no sink, us per step | shape-only / no sink | values / no sink |", "|---:|---:|---:|",
                  f"| {r['no sink us']:.0f} | {r['shape/none']:.3f} | {r['values/none']:.2f} |"]
    if "BM_RecordShapeEvent" in m:
        lines += ["", f"One shape-only event (`BM_RecordShapeEvent`, a decode step's query_states) is recorded in "
                  f"{ms(m['BM_RecordShapeEvent']) * 1e6:.0f} ns; a stories15M decode step records some 160."]
    return lines


def gui_frames_section(gui):
    """The app's frames while a 1.1B model works in the background (bench/gui_frame_time.cpp)."""
    rows = [("loading the 1.1B Q4_K_M file, app frames", "BM_FramesDuringLoad1B_ui"),
            ("a traced decode step of both runs, app frames", "BM_FramesDuringStep1B_ui"),
            ("the same, with Mesa's software OpenGL", "BM_FramesDuringStep1B_with_gl")]
    found = {b["name"].split("/")[0]: b for b in gui.get("benchmarks", [])}
    lines = ["## The app while a 1.1B model works", "",
             "`xvfb-run -a -s '-screen 0 1920x1200x24' build/bench/gui_frame_time --benchmark_filter=1B`: the model "
             "loads or steps on its own thread (every core) while the app draws frames at 60 Hz. \"app frames\" is "
             "the time to build each frame (the app's panels and Dear ImGui); \"with OpenGL\" the time from one frame "
             "to the next when Xvfb's software rasteriser also draws it, competing with the model for the two cores "
             "(on a GPU that part leaves the CPU).", "",
             "| while | frames | median ms | p95 ms | max ms | seconds per load or step |", "|---|---:|---:|---:|---:|---:|"]
    for label, name in rows:
        b = found.get(name)
        if b is None or b.get("error_occurred"):
            continue
        lines.append(f"| {label} | {b['frames']:.0f} | {b['frame ms median']:.2f} | {b['frame ms p95']:.2f} | "
                     f"{b['frame ms max']:.1f} | {b['s per job']:.2f} |")
    return lines


# What issue 12 quotes for llama.cpp on the same 1.1B shape (tokens/s on 1 and 2 threads): not measured here.
LLAMA_CPP_1B = {"BF16": (8.9, 15.1), "Q4_K_M": (28, 37)}
GGUF_1B_TYPES = ["F32", "BF16", "Q8_0", "Q4_K_M"]


def gguf_1b_runs(directory):
    """bench_gguf_1b-TYPE.json for each type run, in the order of GGUF_1B_TYPES (others after, by name)."""
    names = sorted(n for n in os.listdir(directory) if n.startswith("bench_gguf_1b-") and n.endswith(".json"))
    runs = [load(directory, n) for n in names]
    order = {t: i for i, t in enumerate(GGUF_1B_TYPES)}
    return sorted(runs, key=lambda g: (order.get(g["type"], len(order)), g["type"]))


def by_threads(g):
    return {t["threads"]: t for t in g["decode"]["threads"]}


def llama_cpp_runs(directory):
    """llama.cpp timed in this run (llama_cpp-TYPE.json) by type: {"run": the JSON, "tps": {threads: tokens/s}}."""
    out = {}
    for t in GGUF_1B_TYPES:
        run = load(directory, f"llama_cpp-{t}.json")
        if run is not None:
            out[t] = {"run": run, "tps": {r["threads"]: r["tokens_per_s"] for r in run["threads"]}}
    return out


def gguf_1b_targets(runs, measured):
    """Issue 12's target 4, checked against this run's figures."""
    by = {g["type"]: by_threads(g) for g in runs}
    counts = sorted({n for t in by.values() for n in t})

    def tps(kind, n):
        return by.get(kind, {}).get(n, {}).get("tokens_per_s")

    def yes(ok):
        return "yes" if ok else "**no**"

    lines = ["", "Issue 12's target 4 in this run:", ""]
    loads = ", ".join(f"{g['type']} {g['load']['total_s']:.2f} s" for g in runs)
    lines.append(f"- Load under 2 s: {yes(all(g['load']['total_s'] < 2 for g in runs))} ({loads}).")
    def threads(n):
        return f"{n} thread{'s' if n > 1 else ''}"

    def ceiling(kind, n):
        """Tokens/s if a step read its weights at the scan's best speed: no decode on this machine goes faster."""
        t = by[kind][n]
        g = next(g for g in runs if g["type"] == kind)
        return t["scan_gb_s"] * 1e9 / g["decode"]["bytes_read_per_token"]

    def against_quote(kind, n, quote):
        text = f"{threads(n)} {tps(kind, n):.2f} against {quote:g}: {yes(tps(kind, n) >= quote)}"
        if tps(kind, n) < quote and ceiling(kind, n) < quote:
            text += (f" (reading every weight at the scan's best speed would give {ceiling(kind, n):.2f}: the "
                     "quoted figure needs more memory bandwidth than this machine gave in this run)")
        return text

    for kind, quoted in (("BF16", "BF16"), ("Q8_0", "BF16")):
        here = measured.get(kind, {}).get("tps", {})
        checks = [f"{threads(n)} {tps(kind, n):.2f} against {here[n]:.2f}: {yes(tps(kind, n) >= here[n])}"
                  for n in counts if n in (1, 2) and tps(kind, n) is not None and n in here]
        if checks:
            lines.append(f"- {kind} at least llama.cpp's speed, llama.cpp measured here on the same file: "
                         f"{'; '.join(checks)}.")
        checks = [against_quote(kind, n, LLAMA_CPP_1B[quoted][n - 1])
                  for n in counts if n in (1, 2) and tps(kind, n) is not None]
        if checks:
            note = "" if kind == quoted else " (the issue quotes no llama.cpp Q8_0 figure; its BF16 ones)"
            lines.append(f"- {kind} at least the llama.cpp speed issue 12 quotes{note}: {'; '.join(checks)}.")
    for kind in ("Q4_K_M",):
        checks = [f"{threads(n)} {tps(kind, n):.2f} against {tps('BF16', n):.2f}: "
                  f"{yes(tps(kind, n) >= tps('BF16', n))}"
                  for n in counts if tps(kind, n) is not None and tps("BF16", n) is not None]
        if checks:
            lines.append(f"- K-quants ({kind}) at least as fast as kvscope's BF16: {'; '.join(checks)}.")
    bound, arithmetic = [], []
    for g in runs:
        for n, t in sorted(by_threads(g).items()):
            name = f"{g['type']} {threads(n)}"
            if t.get("bandwidth_bound", True):
                bound.append((name, t.get("paired_fraction_of_scan", t["fraction_of_scan"]), t["fraction_of_scan"]))
            else:
                arithmetic.append(f"{name} (kernels {t['kernel_cache_gb_s']:.1f} GB/s from cache against the scan's "
                                  f"{t['scan_gb_s']:.1f}; decode {100 * t['fraction_of_kernel_cache']:.0f}% of the "
                                  "kernels' speed)")
    below = [name for name, f, _ in bound if f < 0.8]
    lines.append("- Decode at 80% or more of the scan's read bandwidth where it is bandwidth-bound (the kernels "
                 "multiply faster from cache than the scan reads memory), each step against the better of the "
                 "passes beside it, the median step: "
                 f"{', '.join(f'{name} {100 * f:.1f}%' for name, f, _ in bound) or 'none'}; below 80%: "
                 f"{', '.join(below) if below else 'none'}. Against the run's best pass: "
                 f"{', '.join(f'{name} {100 * strict:.1f}%' for name, _, strict in bound) or 'none'}.")
    if arithmetic:
        lines.append(f"- Bound by the kernels' arithmetic in this run, not by memory: {'; '.join(arithmetic)}.")
    return lines


def gguf_1b_section(runs, measured):
    first = runs[0]
    d = first["decode"]
    lines = ["## A 1.1B model (TinyLlama shape, random weights, GGUF)", "",
             "`build/bench/bench_gguf_1b --type TYPE` for each type (scripts/bench-report --with-1b): the same seeded "
             "random weights written as F32, BF16 (rounded to nearest even), Q8_0 and llama.cpp's Q4_K_M mix of Q4_K "
             f"and Q6_K (norms F32). Load: `resolve_model` + `load_model` with the file in the page cache "
             f"({first['load']['page_cache']}); peak is the process's resident high-water "
             f"mark after the load. Decode: {d['runs']} runs of {d['decode_steps']} greedy steps after a "
             f"{d['prompt_tokens']}-token prompt per thread count, median step; a pass of a "
             f"{d['scan_bytes'] / 2**30:.0f} GiB read-only memory scan on as many threads runs before each step and "
             "after the last. Read GB/s is the weight bytes a step reads (every matrix as kept in memory, one "
             "embedding row, the norms) times tokens/s, against the run's best pass; \"paired\" holds each step "
             "against the better of the two passes beside it and gives the median step, since the host moves the "
             "bandwidth by a third within a run. \"Kernels\" is how fast the same matrix products run with their "
             "weights in the cores' L2 caches (each kind of matrix timed over a slice of its rows, half a core's L2 "
             f"per thread: {d['threads'][0]['kernel_cache_slice_bytes'] // 1024} KiB here; a step's matrices "
             "weighted by their bytes): where it is below the scan, the kernels' "
             "arithmetic, not memory, bounds the decode.", "",
             "| weights | file MiB | kept as | load s | peak MiB | tokens/s 1 thread | tokens/s 2 threads | "
             "llama.cpp here 1 / 2 threads | llama.cpp quoted 1 / 2 | GB/s 1 thread: decode / scan / kernels | "
             "GB/s 2 threads: decode / scan / kernels |",
             "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for g in runs:
        t = by_threads(g)
        kept = ", ".join(f"{n} {k}" for k, n in g["file"]["kept_as"].items())
        mem = g["memory"]["after_load"]
        llama = LLAMA_CPP_1B.get(g["type"])

        def tps(n):
            return f"{t[n]['tokens_per_s']:.2f}" if n in t else "—"

        def gbs(n):
            if n not in t:
                return "—"
            kernels = f" / {t[n]['kernel_cache_gb_s']:.1f}" if "kernel_cache_gb_s" in t[n] else ""
            paired = (f"; {100 * t[n]['paired_fraction_of_scan']:.0f}% paired"
                      if "paired_fraction_of_scan" in t[n] else "")
            return (f"{t[n]['decode_gb_s']:.1f} / {t[n]['scan_gb_s']:.1f}{kernels} "
                    f"({100 * t[n]['fraction_of_scan']:.0f}% of the best pass{paired})")

        here = measured.get(g["type"], {}).get("tps", {})
        here_text = " / ".join(f"{here[n]:.2f}" if n in here else "—" for n in (1, 2)) if here else "—"
        lines.append(f"| {g['type']} | {g['file']['mib']:.0f} | {kept} | {g['load']['total_s']:.2f} | "
                     f"{mem['vm_hwm_mib']:.0f} | {tps(1)} | {tps(2)} | {here_text} | "
                     f"{f'{llama[0]:g} / {llama[1]:g}' if llama else '—'} | {gbs(1)} | {gbs(2)} |")
    if measured:
        first_run = next(iter(measured.values()))["run"]
        # ggml's "CPU : SSE3 = 1 | AVX2 = 1 | ..." as "SSE3, AVX2, ...": what the loaded variant uses.
        features = ", ".join(f.split("=")[0].strip().split(":")[-1].strip()
                             for f in first_run["system_info"].split("|") if f.strip().endswith("= 1"))
        runs_text = f"{first_run['runs']} run{'s' if first_run['runs'] > 1 else ''}"
        lines += ["", "\"llama.cpp here\" is llama.cpp timed on the same file right after kvscope "
                  "(`scripts/bench-report --with-llama-cpp` runs `scripts/llama-cpp-bench.mjs`): node-llama-cpp's "
                  f"prebuilt CPU build of llama.cpp {first_run['llama_cpp_release']} (every CPU variant built, "
                  f"the best for this CPU loaded at run time; here it uses {features}), the same "
                  f"{first_run['prompt_tokens']}-token prompt, {runs_text} of "
                  f"{first_run['decode_steps']} greedy steps per thread count, the median step."]
    lines += ["", "\"llama.cpp quoted\" is what issue 12 quotes for the same shape, not measured here; it quotes "
              "none for F32 and Q8_0."]
    lines += gguf_1b_targets(runs, measured)
    failed = [g["type"] for g in runs if not g["checks"]["passed"]]
    if failed:
        lines += ["", f"**Checks failed** for {', '.join(failed)} (see the JSON's checks.failures)."]
    return lines


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    directory = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) == 3 else os.path.join(os.path.dirname(__file__), "..", "docs", "performance.md")
    decode, core, gguf = load(directory, "bench_decode.json"), load(directory, "bench_core.json"), gguf_1b_runs(directory)
    if decode is None or core is None:
        sys.exit(f"{directory}: bench_decode.json and bench_core.json are needed (scripts/bench-report writes them)")
    lines = ["# Performance", "",
             "Written by `scripts/performance-md.py` from the JSON of one `scripts/bench-report` run on this project's "
             "2-core machine; do not edit by hand. Ratios within a run are what count: the machine is shared and noisy.",
             ""]
    ctx = core.get("context", {})
    if ctx:
        lines += [f"Machine: {ctx.get('num_cpus', '?')} CPUs at {ctx.get('mhz_per_cpu', '?')} MHz, "
                  f"run {ctx.get('date', '?')}.", ""]
    lines += decode_section(decode) + [""] + trace_section(core)
    if gguf:
        lines += [""] + gguf_1b_section(gguf, llama_cpp_runs(directory))
    gui = load(directory, "gui_frame_time.json")
    if gui is not None:
        lines += [""] + gui_frames_section(gui)
    with open(out + ".tmp", "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(out + ".tmp", out)


if __name__ == "__main__":
    main()
