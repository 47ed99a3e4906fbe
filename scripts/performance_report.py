#!/usr/bin/env python3
"""Turns the JMH results, the PyTorch baseline and the memory check into docs/performance.md (Markdown on stdout).
Usage: performance_report.py jmh-models.json jmh-rules.json jmh-methods.json pytorch.json memory.json machine.txt command
                             [jmh-eval.json evaluate.json eval-machine.txt [jmh-modern.json pytorch-modern.json
                              modern-machine.txt]]
       performance_report.py --eval-section jmh-eval.json evaluate.json eval-machine.txt < old.md > new.md
       performance_report.py --modern-section jmh-modern.json pytorch-modern.json modern-machine.txt < old.md > new.md
       performance_report.py --startup-section startup.json startup-machine.txt < old.md > new.md
       performance_report.py --spark-section spark.json spark-machine.txt < old.md > new.md
         (only that section, spliced into an existing report)"""
import json
import os
import sys



def get(model, batch, preset, kind):
    return ms.get((model, batch, preset, kind))


def fmt(v, d=0):
    return "–" if v is None else f"{v:.{d}f}"


def ok(v, limit):
    return "–" if v is None else ("yes" if v <= limit else "**no**")


def eval_section(jmh_eval, evaluate, eval_machine):
    """The section of the evaluation metrics, from EvalBenchmark's JSON, the timed dtd evaluate and its machine."""
    je = json.load(open(jmh_eval))
    ev = json.load(open(evaluate))
    emach = open(eval_machine).read().strip()
    out = ["## Explanation quality metrics (dtd-eval)", "",
           "Measured by `scripts/benchmark.sh eval`, which runs only this section:", "", "```",
           emach, "```", "",
           "Region perturbation with L = 100 steps of 2×2 patches (constant 0) on the first 100 images of the "
           "shipped Fashion-MNIST sample, float32, one whole evaluation per measurement (the method on the 100 "
           "images, then up to 2 × 100 × 101 perturbed images through the model: a step that changes no pixel, such as "
           "black background set to 0, reuses the previous score); `EvalBenchmark`.", "",
           "| model | method | s | target | met |", "|---|---|---|---|---|"]
    for r in je:
        p = r["params"]
        sec = r["primaryMetric"]["score"] / 1000
        out.append(f"| {p['model']} | {p['method']} | {sec:.2f} | ≤ 10 | {ok(sec, 10)} |")
    wall = ev["wall_seconds"]
    out += ["", f"The whole `dtd evaluate` default (every method, every metric, both shipped Fashion-MNIST models; "
            f"`{ev['command']}`): **{wall:.0f} s** wall time (target ≤ 180 s: {'met' if wall <= 180 else 'not met'})."]
    return out


MODERN_HEAD = "## Modern architectures from ONNX (issue 13)"


def modern_section(jmh_modern, pytorch_modern, modern_machine):
    """MobileNetV2 and ViT-B/16 imported from ONNX: our forward pass and explanation against PyTorch's forward pass."""
    jm = json.load(open(jmh_modern))
    pt = json.load(open(pytorch_modern))
    mach = open(modern_machine).read().strip()
    # the one-thread run (OMP_NUM_THREADS=1) beside it, when there is one
    one = jmh_modern.replace(".json", "-1thread.json")
    jm1 = json.load(open(one)) if one != jmh_modern and os.path.exists(one) else []
    t = {}
    err = {}
    for threads, runs in (("", jm), (", 1 thread", jm1)):
        for r in runs:
            key = (r["params"]["model"] + threads, r["benchmark"].rsplit(".", 1)[-1])
            t[key] = r["primaryMetric"]["score"]
            err[key] = r["primaryMetric"]["scoreError"]
    iters = jm[0]["measurementIterations"]
    itime = jm[0]["measurementTime"]
    forks = jm[0].get("forks", 1)
    out = [MODERN_HEAD, "",
           "Measured by `scripts/benchmark.sh modern`, which runs only this section:", "", "```", mach, "```", "",
           f"torchvision {pt['torchvision']}'s MobileNetV2 and ViT-B/16 (random weights, seed 0; ViT-B/16's zero head "
           "drawn again from N(0, 0.01)) exported to ONNX by `scripts/modern_models.py` (opset 17, constant folding on), "
           f"imported by dtd4j and run at batch 1 in float32 (`ModernBenchmark`, JMH average over {forks} "
           f"{'JVM' if forks == 1 else 'JVMs (forks)'} of {iters} iterations of {itime} each, after "
           f"{jm[0]['warmupIterations']} of {jm[0]['warmupTime']} of warm-up; ± is JMH's 99.9 % confidence half-width, and the "
           "ratio's range divides the explanation's upper bound by the forward pass's lower bound and the other way "
           "round): MobileNetV2 explained with DTD (z^B first, z⁺ above), ViT-B/16 with z^B on the patchifying "
           f"convolution and γ = 0.25 on the dense layers. PyTorch {pt['torch']} ({pt['threads']} threads, `no_grad`, "
           f"median of {pt['repeat']}). The rows marked 1 thread run the same JMH benchmark with OMP_NUM_THREADS=1 "
           "(ND4J, oneDNN and BLAS on one thread), against the same PyTorch figure.", "",
           "| model | PyTorch forward (ms) | our forward (ms) | our explanation (ms) | explanation / our forward "
           "| range | target ≤ 4 | explanation / PyTorch forward |", "|---|---|---|---|---|---|---|---|"]
    rows = ["mobilenet_v2", "vit_b_16"] + ([m + ", 1 thread" for m in ("mobilenet_v2", "vit_b_16")] if jm1 else [])
    for model in rows:
        if (model, "forward") not in t:
            continue
        f = t.get((model, "forward"))
        e = t.get((model, "explain"))
        fe = err.get((model, "forward"))
        ee = err.get((model, "explain"))
        p = pt["forward_ms_median"].get(model.split(",")[0])
        ratio = e / f if e and f else None
        low = (e - ee) / (f + fe) if e and f else None
        high = (e + ee) / (f - fe) if e and f and f > fe else None
        out.append(f"| {model} | {fmt(p, 1)} | {fmt(f, 1)} ± {fmt(fe, 1)} | {fmt(e, 1)} ± {fmt(ee, 1)} | "
                   f"{fmt(ratio, 2)} | {fmt(low, 2)}–{fmt(high, 2)} | {ok(ratio, 4)} | "
                   f"{fmt(e / p if e and p else None, 2)} |")
    paired = os.path.join(os.path.dirname(jmh_modern), "modern-paired.jsonl")
    if os.path.exists(paired):
        runs = [json.loads(line) for line in open(paired) if line.strip()]
        out += ["", "JMH runs each benchmark method in JVMs of its own, and on this machine a JVM keeps one speed "
                "mode for its life (MobileNetV2's forward pass 22–31 ms in some, 34–56 ms in others), so the table's "
                f"ratio divides two averages of {forks} {'draw' if forks == 1 else 'draws'} of that mode. "
                "`PairedRatio` times the forward pass and the explanation alternately in one JVM (after the warm-up "
                "pairs the table gives; median and minimum over the rounds), three JVMs per model and thread "
                "setting (ND4J's default, one per core, and OMP_NUM_THREADS=1):", "",
                "| model | threads | JVM | warm-up pairs | rounds | forward median (min), ms | explanation median "
                "(min), ms | ratio of medians | ratio of minima | target ≤ 4 (medians) |",
                "|---|---|---|---|---|---|---|---|---|---|"]
        seen = {}
        for r in runs:
            threads = r.get("threads", "default")
            key = (r["model"], threads)
            seen[key] = seen.get(key, 0) + 1
            out.append(f"| {r['model']} | {threads} | {seen[key]} | {r['warmup']} | {r['rounds']} | "
                       f"{fmt(r['forward_ms']['median'], 1)} "
                       f"({fmt(r['forward_ms']['min'], 1)}) | {fmt(r['explain_ms']['median'], 1)} "
                       f"({fmt(r['explain_ms']['min'], 1)}) | {fmt(r['ratio_of_medians'], 2)} | "
                       f"{fmt(r['ratio_of_minima'], 2)} | {ok(r['ratio_of_medians'], 4)} |")
    return out


STARTUP_HEAD = "## Startup: one picture with `dtd explain` (issue 14)"


def startup_section(startup, startup_machine):
    """Wall time and peak RSS of `dtd explain` on one picture with VGG16-BN from ONNX, a fresh JVM each run."""
    st = json.load(open(startup))
    mach = open(startup_machine).read().strip()
    ex = sorted(r["wall_seconds"] for r in st["explain"])
    rss = [r["max_rss_kib"] / 1024 / 1024 for r in st["explain"]]
    ins = sorted(r["wall_seconds"] for r in st["inspect"])
    median = ex[len(ex) // 2]
    out = [STARTUP_HEAD, "",
           "Measured by `scripts/benchmark.sh startup`, which runs only this section:", "", "```", mach, "```", "",
           f"torchvision {st['torchvision']}'s VGG16-BN (random weights, seed 0) exported to ONNX by "
           f"`scripts/startup_model.py` ({st['model_bytes'] / 1e6:.0f} MB, BatchNormalization kept), and a 500 × 375 "
           "JPEG; `" + st["command"] + "` (ImageNet preprocessing, the DTD preset, a PNG written), "
           f"{len(ex)} runs, each a fresh JVM, timed by `/usr/bin/time` (wall clock, JVM start included; peak RSS).",
           "", "| | median | min | max | target |", "|---|---|---|---|---|",
           f"| `dtd explain`, wall (s) | {median:.2f} | {ex[0]:.2f} | {ex[-1]:.2f} | ≤ 5: {ok(median, 5)} |",
           f"| `dtd explain`, peak RSS (GiB) | {sorted(rss)[len(rss) // 2]:.2f} | {min(rss):.2f} | {max(rss):.2f} | "
           f"≤ 2: {ok(max(rss), 2)} |",
           f"| `dtd inspect`, wall (s) | {ins[len(ins) // 2]:.2f} | {ins[0]:.2f} | {ins[-1]:.2f} | |"]
    return out


SPARK_HEAD = "## dtd-spark against the library loop (issue 15)"


def spark_section(spark, spark_machine):
    """dtd-spark's throughput in local[1] and local[2] against the plain library loop in one JVM."""
    sp = json.load(open(spark))
    mach = open(spark_machine).read().strip()
    n = sp["images"]
    lib = sp["library_seconds"]
    out = [SPARK_HEAD, "",
           "Measured by `scripts/benchmark.sh spark`, which runs only this section:", "", "```", mach, "```", "",
           f"The shipped Fashion-MNIST ResNet ({sp['model']}, trained) explained with LRP's DTD preset on the first "
           f"{n:,} pictures of Fashion-MNIST's test set (Debian's dataset-fashion-mnist), in batches of "
           f"{sp['batch']}, as tensors: by the library in a loop in one JVM, and by `SparkExplainer` in Spark's local "
           "mode with one and two cores (`SparkThroughput`, each after a warm-up on 500 pictures; the Spark times "
           "include building the input rows and Spark's scheduling).", "",
           "| run | seconds | images/s | against the library loop |", "|---|---|---|---|",
           f"| library loop (one JVM, ND4J using both cores) | {lib:.2f} | {n / lib:.0f} | 1.00 |"]
    for cores in (1, 2):
        t = sp.get(f"spark_local{cores}_seconds")
        if t:
            out.append(f"| Spark local[{cores}] | {t:.2f} | {n / t:.0f} | {lib / t:.2f} |")
    return out


COMPILED_HEAD = "## The explanation compiled into one ONNX graph, on ONNX Runtime (issue 16)"


def compiled_section(bench_jsonl, python_json, compile_json, machine):
    """Both engines side by side, the floor (3 x ONNX Runtime's forward pass), Zennit, batches, memory, compile."""
    runs = [json.loads(line) for line in open(bench_jsonl) if line.strip()]
    py = json.load(open(python_json))
    comp = json.load(open(compile_json))
    mach = open(machine).read().strip()
    zen = py.get("zennit_ms_median", {})
    name = lambda r: r["model"].rsplit("/", 1)[-1].replace(".onnx", "")
    ok = lambda v, t: "met" if v <= t else "not met"
    out = [COMPILED_HEAD, "",
           "Measured by `scripts/benchmark.sh compiled` (`ZENNIT_SRC` set to Zennit 0.5.1's source for the Zennit "
           "column), which runs only this section. Every figure comes from `dtd bench` in one JVM per line: the "
           "ND4J engine (`Explainer.forward`, `Explainer.explain`), the compiled graph on ONNX Runtime "
           "(`engine(ONNX_RUNTIME)`) and ONNX Runtime's plain forward pass of the same graph "
           "(`Explainer.forwardOnRuntime`), each warmed up until three runs in a row agree within 10 %, then the "
           "median of 5 runs (3 for the batches). The floor is 3 x ONNX Runtime's forward pass. torchvision's "
           f"models with random weights (seed 0), float32, 2 threads; PyTorch {py['torch']}. Zennit: "
           f"{py.get('zennit', 'not measured')}.", "", "```", mach, "```", "",
           "| model | preset | ND4J explain (ms) | ONNX Runtime explain (ms) | ORT forward (ms) | floor (ms) | "
           "ORT / floor | target | Zennit (ms) | ORT / Zennit |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for r in runs:
        if "nd4j" not in r or "onnxruntime" not in r or "explain_ms" not in r["onnxruntime"]:
            continue
        o = r["onnxruntime"]
        m = name(r)
        preset = r.get("preset", r["rules"])
        ratio = o["explain_over_floor"]
        target = 1.25 if m == "vgg16" and preset == "dtd" else 1.5
        z = zen.get(f"{m}/{preset}")
        ort_ms = o["explain_ms"]["median"]
        zennit = f"{z:.0f}" if z else "-"
        versus = f"{ort_ms / z:.2f} (<= 0.15: {ok(ort_ms / z, 0.15)})" if z else "-"
        out.append(f"| {m} | {preset} | {r['nd4j']['explain_ms']['median']:.0f} | {ort_ms:.0f} "
                   f"| {o['forward_ms']['median']:.1f} | {o['floor_ms']:.0f} | {ratio:.2f} | <= {target}: "
                   f"{ok(ratio, target)} | {zennit} | {versus} |")
    out += ["", "Batches, ONNX Runtime alone (`--engines onnxruntime`, so that the peak resident memory is the compiled "
            "explanation's; `peak_rss_explain_mb` is taken before the forward pass's own session opens):", "",
            "| model | batch | explain (ms) | per image (ms) | per image / batch 1's | explain / floor | peak RSS (MB) |",
            "|---|---|---|---|---|---|---|"]
    single = {}
    for r in runs:
        if "nd4j" in r or "explain_ms" not in r.get("onnxruntime", {}):
            continue
        o = r["onnxruntime"]
        m, b = name(r), r["batch"]
        per = o["explain_ms"]["median"] / b
        if b == 1:
            single[m] = per
        rel = f"{per / single[m]:.2f}" if m in single else "-"
        out.append(f"| {m} | {b} | {o['explain_ms']['median']:.0f} | {per:.1f} | {rel} | "
                   f"{o['explain_over_floor']:.2f} | {o.get('peak_rss_explain_mb', r['peak_rss_mb'])} |")
    out += ["", f"`dtd compile` of VGG16 (DTD preset, weights written beside the graph): "
            f"{comp['wall_seconds']:.1f} s wall, JVM start and model import included (`{comp['command']}`)."]
    return out


def splice(report, head, section):
    """The report with the section that starts with head replaced, or put before the notes."""
    if head in report:
        start = report.index(head)
        nxt = report.find("\n## ", start + len(head))
        return report[:start] + section + ("\n\n" + report[nxt + 1:] if nxt >= 0 else "\n")
    marker = "\n## Where the targets are missed" if "\n## Where the targets are missed" in report else None
    if marker:
        i = report.index(marker)
        return report[:i] + "\n\n" + section + "\n" + report[i:]
    return report.rstrip("\n") + "\n\n" + section + "\n"


if len(sys.argv) == 6 and sys.argv[1] == "--compiled-section":
    report = splice(sys.stdin.read(), COMPILED_HEAD, "\n".join(compiled_section(*sys.argv[2:6])))
    sys.stdout.write(report)
    sys.exit(0)
if (len(sys.argv) == 5 and sys.argv[1] in ("--eval-section", "--modern-section")) or (
        len(sys.argv) == 4 and sys.argv[1] in ("--startup-section", "--spark-section")):
    # splice the section into an existing report on stdin: replace the old one, or put it before the notes
    if sys.argv[1] == "--spark-section":
        section, head = "\n".join(spark_section(*sys.argv[2:4])), SPARK_HEAD
    elif sys.argv[1] == "--startup-section":
        section, head = "\n".join(startup_section(*sys.argv[2:4])), STARTUP_HEAD
    elif sys.argv[1] == "--modern-section":
        section, head = "\n".join(modern_section(*sys.argv[2:5])), MODERN_HEAD
    else:
        section, head = "\n".join(eval_section(*sys.argv[2:5])), "## Explanation quality metrics (dtd-eval)"
    report = splice(sys.stdin.read(), head, section)
    # the hand-kept notes at the end come from docs/performance-notes.md as it is now
    try:
        notes_text = open("docs/performance-notes.md").read().strip()
        first = notes_text.splitlines()[0]
        if first in report:
            report = report[:report.index(first)] + notes_text + "\n"
    except (FileNotFoundError, IndexError):
        pass
    sys.stdout.write(report)
    sys.exit(0)

models, rules, methods, torch, memory, machine, command = sys.argv[1:8]
evaluation = sys.argv[8:11]
modern_files = sys.argv[11:14]
jm = json.load(open(models))
jr = json.load(open(rules))
jx = json.load(open(methods))
pt = json.load(open(torch))
mem = json.load(open(memory))
mach = open(machine).read().strip()

ms = {}
for r in jm:
    p = r["params"]
    kind = r["benchmark"].rsplit(".", 1)[1]
    ms[(p["model"], int(p["batch"]), p["preset"], kind)] = r["primaryMetric"]["score"]

lines = ["# Performance", "",
         "Measured by one run of `" + command + "`. Do not edit by hand: rerun the script.", "",
         "## Machine", "", "```", mach, "```", "",
         f"PyTorch {pt['torch']} ({pt['threads']} threads, `no_grad`, eval, random weights, median of {pt['repeat']}); "
         "dtd4j: JMH average time (float32, oneDNN build, random weights, BatchNorm folded).", "",
         "## Explanation time against a PyTorch forward pass", "",
         "| model | batch | PyTorch forward ms | our forward ms | DTD explain ms | explain / PyTorch | target | met | "
         "explain / our forward | target | met |",
         "|---|---|---|---|---|---|---|---|---|---|---|"]
targets = {"vgg16": (3.2, 3.3), "resnet50": (4.0, 4.0)}
for model in ("vgg16", "resnet50"):
    for batch in (1, 8):
        t = pt["forward_ms_median"].get(f"{model}/{batch}")
        f = get(model, batch, "dtd", "forward")
        e = get(model, batch, "dtd", "explain")
        r1 = e / t if e and t else None
        r2 = e / f if e and f else None
        a, b = targets[model]
        lines.append(f"| {model} | {batch} | {fmt(t)} | {fmt(f)} | {fmt(e)} | {fmt(r1, 2)} | ≤ {a} | {ok(r1, a)} | "
                     f"{fmt(r2, 2)} | ≤ {b} | {ok(r2, b)} |")
lines += ["", "## Presets on VGG16 (batch 1) against the PyTorch forward pass", "",
          "| preset | explain ms | / PyTorch forward | target | met |", "|---|---|---|---|---|"]
t = pt["forward_ms_median"].get("vgg16/1")
for preset, limit in (("dtd", 3.2), ("epsilon-zplus", 3.2), ("epsilon-alphabeta", 4.5)):
    e = get("vgg16", 1, preset, "explain")
    r = e / t if e and t else None
    lines.append(f"| {preset} | {fmt(e)} | {fmt(r, 2)} | ≤ {limit} | {ok(r, limit)} |")
lines += ["", "## Batching (time per image, DTD)", "", "| model | batch 1 ms/image | batch 8 ms/image | batch 8 ≤ batch 1 |",
          "|---|---|---|---|"]
for model in ("vgg16", "resnet50"):
    e1 = get(model, 1, "dtd", "explain")
    e8 = get(model, 8, "dtd", "explain")
    per8 = e8 / 8 if e8 else None
    lines.append(f"| {model} | {fmt(e1)} | {fmt(per8)} | {ok(per8, e1) if e1 else '–'} |")
# the other methods: MethodBenchmark (params model, batch, method) and IntegratedGradientsBenchmark (model, batch)
mx = {}
for r in jx:
    p = r["params"]
    name = p.get("method", "integrated-gradients")
    mx[(p["model"], int(p["batch"]), name)] = r["primaryMetric"]["score"]
lines += ["", "## Other methods against our forward pass (batch 1)", "",
          "One `attribute` call, forward pass included; the gradient methods fold BatchNorm into the convolution "
          "before it (as our forward pass does), Grad-CAM keeps it as a layer (it reads an inner layer); our forward "
          "pass as in the first table.", "",
          "| model | method | ms | / our forward | target | met |", "|---|---|---|---|---|---|"]
family = ("gradient", "gradient-input", "guided-backprop", "deconvnet", "grad-cam")
for model in ("vgg16", "resnet50"):
    f = get(model, 1, "dtd", "forward")
    for method in family:
        m = mx.get((model, 1, method))
        if m is None and method == "grad-cam":
            continue
        r = m / f if m and f else None
        lines.append(f"| {model} | {method} | {fmt(m)} | {fmt(r, 2)} | ≤ 2.5 | {ok(r, 2.5)} |")
lines += ["", "## Integrated Gradients (50 steps) against the gradient", "",
          "Gauss–Legendre, zero baseline, 8 scaled inputs per backward sweep; one call per measurement. The target "
          "compares the cost per explained image with one gradient of one image (batch 1): ≤ 50 at batch 1, and less "
          "at batch 8, where the steps of 8 images share sweeps. The last column compares with the gradient at the "
          "same batch, for information: its floor is the 50 sweeps plus the forward pass that picks the targets "
          "(about 50.5 when the batch gains nothing from larger sweeps).", "",
          "| model | batch | IG ms | IG ms per image | gradient ms (1 image) | per image / gradient | target | met "
          "| IG / gradient at the same batch |", "|---|---|---|---|---|---|---|---|---|"]
for model in ("vgg16", "resnet50"):
    g1 = mx.get((model, 1, "gradient"))
    for batch in (1, 8):
        ig = mx.get((model, batch, "integrated-gradients"))
        g = mx.get((model, batch, "gradient"))
        per = ig / batch if ig else None
        r = per / g1 if per and g1 else None
        same = ig / g if ig and g else None
        limit = "≤ 50" if batch == 1 else "< 50"
        met = ok(r, 50) if batch == 1 else (("yes" if r < 50 else "**no**") if r is not None else "–")
        lines.append(f"| {model} | {batch} | {fmt(ig)} | {fmt(per)} | {fmt(g1)} | {fmt(r, 1)} | {limit} | {met} "
                     f"| {fmt(same, 1)} |")
lines += ["", "## Memory", "",
          f"- Peak RSS, VGG16 DTD at batch 8, in a JVM of its own (-Xmx3g): **{mem['vgg16_batch8_peak_rss_mb']} MB** "
          f"(target ≤ 3072 MB: "
          f"{'met' if mem['vgg16_batch8_peak_rss_mb'] <= 3072 else 'not met'}).",
          f"- {mem['resnet50_explanations']} consecutive ResNet-50 explanations in one JVM (fixed, pre-touched 2 GB heap, "
          f"so that growth can only be native memory): RSS {mem['rss_after_50_mb']} MB "
          f"after the 50th, {mem['rss_after_last_mb']} MB after the last (ratio {mem['ratio']:.3f}; target ≤ 1.1: "
          f"{'met' if mem['ratio'] <= 1.1 else 'not met'}).", "",
          "## One rule on one convolution", "",
          "64→64 channels, 3×3, padding 1, 112×112, batch 1; each rule's time includes the layer's forward pass.", "",
          "| rule | ms | in convolutions |", "|---|---|---|"]
conv = None
rows = []
for r in jr:
    rule = r["params"]["rule"]
    score = r["primaryMetric"]["score"]
    if rule == "conv":
        conv = score
    rows.append((rule, score))
for rule, score in rows:
    lines.append(f"| {rule} | {score:.1f} | {score / conv:.2f} |" if conv else f"| {rule} | {score:.1f} | – |")
if len(evaluation) == 3:
    lines += [""] + eval_section(*evaluation)
if len(modern_files) == 3:
    lines += [""] + modern_section(*modern_files)
notes = "docs/performance-notes.md"
try:
    lines += ["", open(notes).read().strip()]
except FileNotFoundError:
    pass
print("\n".join(lines))
