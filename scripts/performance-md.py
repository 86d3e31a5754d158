#!/usr/bin/env python3
"""Writes docs/performance.md from the benches' JSON output (scripts/bench-report runs them and then this).

    scripts/performance-md.py DIR [OUT]

DIR holds bench_decode.json (bench/bench_decode.cpp --json), bench_core.json (Google Benchmark's
--benchmark_out), and when they were run bench_gguf_1b.json and gui_frame_time.json; OUT defaults to
docs/performance.md. Every figure in the page comes from those files: nothing here is typed in by hand except the
llama.cpp figures the issue quotes, marked as such.
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
    lines = ["## Trace cost", "", "`build/bench/bench_core --benchmark_filter='Sink|Meta' --benchmark_repetitions=3` "
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


def gguf_1b_section(g):
    lines = ["## A 1.1B model (TinyLlama shape, random weights, Q4_K_M-like GGUF)", "",
             f"`scripts/bench-gguf-1b`: {g['file']['mib']:.0f} MiB file; page cache {g['load']['page_cache']}; "
             "Q4_K and Q6_K requantized to Q8_0 at load; decode on the default thread count (every core).", "",
             "| load s | peak RSS after load MiB | prefill tokens/s | decode tokens/s |", "|---:|---:|---:|---:|"]
    mem = g["memory"]["after_load"]
    peak = mem.get("peak_rss_mib", mem.get("vm_hwm_mib", 0))
    lines.append(f"| {g['load']['total_s']:.2f} | {peak:.0f} | {g['decode']['prefill_tokens_per_s']:.1f} | "
                 f"{g['decode']['decode_tokens_per_s']:.2f} |")
    return lines


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    directory = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) == 3 else os.path.join(os.path.dirname(__file__), "..", "docs", "performance.md")
    decode, core, gguf = load(directory, "bench_decode.json"), load(directory, "bench_core.json"), load(directory, "bench_gguf_1b.json")
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
    if gguf is not None:
        lines += [""] + gguf_1b_section(gguf)
    gui = load(directory, "gui_frame_time.json")
    if gui is not None:
        lines += [""] + gui_frames_section(gui)
    with open(out + ".tmp", "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(out + ".tmp", out)


if __name__ == "__main__":
    main()
