#!/usr/bin/env python3
"""Generate the demo lesson videos (MP4) and their WebVTT captions.

Each video is a sequence of bilingual title cards drawn by ffmpeg (lavfi
gradients background + drawbox + drawtext) over a generated soundtrack
(soft pad + a chime at each scene change, made with aevalsrc).  The caption
files are written from the same scene list, so cue times always match the
video timeline.

Usage: make_demo_video.py COURSES_DIR [course-slug ...]
Needs: ffmpeg (with libx264, libfreetype), fonts-wqy-zenhei, fonts-dejavu-core,
       python3 + Pillow (only to check that text fits; comes with reportlab).
"""
import os
import shutil
import subprocess
import sys
import tempfile

W, H, FPS = 640, 360, 25
FONT_ZH = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
FONT_EN = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
FONT_EN_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"

# Layout: header bar 0..44, text panel 58..300, bottom illustration 300..354,
# progress bar 354..360.
PANEL_X, PANEL_Y, PANEL_W, PANEL_H = 24, 58, W - 48, 236
TEXT_X = PANEL_X + 22
TEXT_MAX_W = PANEL_W - 44

# ---------------------------------------------------------------------------
# Course content.  Each scene: (duration_s, kind, data)
#   kind "title": data = dict(zh, en, sub_zh, sub_en)
#   kind "step":  data = dict(n, total, zh, en, lines=[(zh, en), ...])
#   kind "end":   data = dict(zh, en, lines=[(zh, en), ...])
# "cap_zh"/"cap_en" in data are the caption texts (may contain one '\n').
# ---------------------------------------------------------------------------
COURSES = {
    "rice-growing": dict(
        out="media/rice-intro",
        header_zh="水稻种植入门",
        header_en="Introduction to Rice Growing",
        bg=("0x14401f", "0x2e7a3a"),
        accent="0xffe27a",
        bottom="rice",
        scenes=[
            (4.0, "title", dict(
                zh="水稻种植入门", en="Introduction to Rice Growing",
                sub_zh="四个关键步骤：育秧 · 插秧 · 管水 · 防虫",
                sub_en="Four key steps: seedlings, transplanting, water, pests",
                cap_zh="水稻种植入门：四个关键步骤",
                cap_en="Introduction to Rice Growing: four key steps")),
            (5.0, "step", dict(
                n=1, total=4, zh="育秧", en="Raising seedlings",
                lines=[("选用良种，晒种、选种、浸种催芽", "Choose good seed; dry, sort, soak and sprout it"),
                       ("秧田平整，稀播匀播育壮秧", "Level the nursery and sow thinly for strong seedlings")],
                cap_zh="第一步，育秧：选用良种，浸种催芽，\n秧田整平，稀播匀播，培育壮秧。",
                cap_en="Step 1, seedlings: choose good seed and pre-germinate it;\nsow thinly on a level nursery bed.")),
            (5.0, "step", dict(
                n=2, total=4, zh="插秧", en="Transplanting",
                lines=[("气温稳定在15℃以上，田面整平后移栽", "Transplant above 15 °C into a well-levelled field"),
                       ("浅插约2厘米，行距25–30厘米", "Plant shallow (about 2 cm), rows 25–30 cm apart")],
                cap_zh="第二步，插秧：气温稳定后移栽，\n浅插2厘米左右，合理密植。",
                cap_en="Step 2, transplanting: plant when it is warm enough,\nabout 2 cm deep, at the right spacing.")),
            (5.0, "step", dict(
                n=3, total=4, zh="水分管理", en="Water management",
                lines=[("浅水返青，薄水分蘖，够苗晒田", "Shallow water early; drain mid-season at enough tillers"),
                       ("孕穗抽穗不缺水，收获前7–10天断水", "Keep water at heading; drain 7–10 days before harvest")],
                cap_zh="第三步，管水：前期浅水促分蘖，够苗晒田，\n孕穗抽穗期不能缺水，收获前7到10天断水。",
                cap_en="Step 3, water: shallow water early, drain at enough tillers,\nno drought at heading, stop water 7-10 days before harvest.")),
            (5.0, "step", dict(
                n=4, total=4, zh="防治病虫", en="Pest and disease control",
                lines=[("每周查田：稻飞虱、螟虫、稻瘟病", "Scout weekly: planthoppers, borers, rice blast"),
                       ("保护天敌，达标才用药，注意安全", "Protect natural enemies; spray only when needed, safely")],
                cap_zh="第四步，防虫：每周查田，保护青蛙、蜘蛛等天敌，\n达到防治指标再用药，注意安全。",
                cap_en="Step 4, pests: scout every week and protect natural enemies;\nspray only at the action threshold, and safely.")),
            (4.0, "end", dict(
                zh="勤看田 · 细管理 · 保丰收", en="Check often, manage well, harvest more",
                lines=[("下一课：阅读图文要点，下载明白纸", "Next: read the field guide and print the handout")],
                cap_zh="勤看田，细管理，保丰收。\n下一课：图文要点和明白纸。",
                cap_en="Check often, manage well, harvest more.\nNext: the field guide and the printable handout.")),
        ],
    ),
    "water-cycle": dict(
        out="media/water-cycle",
        header_zh="水的循环",
        header_en="The Water Cycle",
        bg=("0x0d3560", "0x2a7fc1"),
        accent="0xfff08a",
        bottom="sea",
        badge="环节 {n}/{total} · Stage {n} of {total}",
        scenes=[
            (4.0, "title", dict(
                zh="水的循环", en="The Water Cycle",
                sub_zh="七年级科学 · 水从哪里来，到哪里去？",
                sub_en="Grade 7 science: where does water go?",
                cap_zh="水的循环：水从哪里来，到哪里去？",
                cap_en="The water cycle: where does water come from, and where does it go?")),
            (5.0, "step", dict(
                n=1, total=4, zh="蒸发与蒸腾", en="Evaporation & transpiration",
                lines=[("太阳加热海洋和湖泊，水变成水蒸气", "The Sun heats oceans and lakes; water turns to vapour"),
                       ("植物叶片也把水汽散发到空气中", "Plants also release water vapour through their leaves")],
                cap_zh="蒸发：太阳加热海洋、湖泊，水变成看不见的水蒸气上升；\n植物通过叶片蒸腾，也向空气输送水汽。",
                cap_en="Evaporation: the Sun heats oceans and lakes, and water rises as invisible vapour;\nplants add more vapour through their leaves (transpiration).")),
            (5.0, "step", dict(
                n=2, total=4, zh="凝结", en="Condensation",
                lines=[("水汽上升，温度降低", "Rising vapour cools down"),
                       ("凝结成小水滴或小冰晶，形成云", "and condenses into tiny droplets or ice: clouds")],
                cap_zh="凝结：水汽上升遇冷，\n凝结成小水滴或小冰晶，聚成云。",
                cap_en="Condensation: rising vapour cools\nand condenses into tiny droplets or ice crystals, forming clouds.")),
            (5.0, "step", dict(
                n=3, total=4, zh="降水", en="Precipitation",
                lines=[("云中小水滴合并变大变重", "Droplets in clouds merge and grow heavy"),
                       ("以雨、雪、冰雹等形式落到地面", "and fall as rain, snow or hail")],
                cap_zh="降水：云中的小水滴合并变大，\n空气托不住时，就以雨、雪、冰雹落下。",
                cap_en="Precipitation: droplets merge and grow;\nwhen they are too heavy, they fall as rain, snow or hail.")),
            (5.0, "step", dict(
                n=4, total=4, zh="径流与下渗", en="Runoff & infiltration",
                lines=[("地表径流汇入江河，最终流回海洋", "Runoff flows into rivers and back to the sea"),
                       ("一部分水下渗，成为地下水", "Some water soaks in and becomes groundwater")],
                cap_zh="径流与下渗：地表的水汇入江河、流回海洋，\n一部分渗入地下，成为地下水。",
                cap_en="Runoff and infiltration: surface water flows via rivers back to the sea;\nsome soaks into the ground and becomes groundwater.")),
            (4.0, "end", dict(
                zh="太阳能和重力驱动水循环", en="Solar energy and gravity drive the cycle",
                lines=[("水循环不断更新地球上的淡水", "It keeps renewing Earth's fresh water")],
                cap_zh="太阳能和重力驱动水循环，\n不断更新地球上的淡水资源。",
                cap_en="Solar energy and gravity drive the water cycle,\nwhich keeps renewing Earth's fresh water.")),
        ],
    ),
}

# Chime notes for successive scenes (C major pentatonic, Hz).
NOTES = [523.25, 587.33, 659.25, 783.99, 880.00, 1046.50, 1174.66, 1318.51]


def text_width(text, font, size):
    try:
        from PIL import ImageFont
    except ImportError:  # checking is optional
        return 0
    return ImageFont.truetype(font, size).getlength(text)


class Graph:
    def __init__(self, tmp):
        self.tmp = tmp
        self.n = 0
        self.filters = []

    def text(self, txt, font, size, color, x, y, start=None, end=None, max_w=None):
        if max_w is not None:
            tw = text_width(txt, font, size)
            if tw > max_w:
                raise SystemExit(f"text too wide ({tw:.0f}>{max_w}px): {txt!r}")
        self.n += 1
        path = os.path.join(self.tmp, f"t{self.n:03d}.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write(txt)
        opts = [f"fontfile={font}", f"textfile={path}", "expansion=none",
                f"fontsize={size}", f"fontcolor={color}", f"x={x}", f"y={y}",
                "shadowx=1", "shadowy=1", "shadowcolor=black@0.55"]
        if start is not None:
            # fade in over 0.4 s, out over 0.3 s
            opts.append(f"enable='between(t,{start:.3f},{end:.3f})'")
            opts.append("alpha='if(lt(t,{s}+0.4),max(0,(t-{s})/0.4),"
                        "if(gt(t,{e}-0.3),max(0,({e}-t)/0.3),1))'".format(s=f"{start:.3f}", e=f"{end:.3f}"))
        self.filters.append("drawtext=" + ":".join(opts))

    def box(self, x, y, w, h, color):
        self.filters.append(f"drawbox=x={x}:y={y}:w={w}:h={h}:color={color}:t=fill")


def build(course_dir, spec, tmp):
    total = sum(s[0] for s in spec["scenes"])
    g = Graph(tmp)
    # static decoration
    g.box(0, 0, W, 44, "black@0.35")
    g.box(PANEL_X, PANEL_Y, PANEL_W, PANEL_H, "black@0.28")
    g.box(PANEL_X, PANEL_Y, 6, PANEL_H, spec["accent"] + "@0.9")
    if spec["bottom"] == "rice":
        g.box(0, 300, W, 54, "0x6b4f2a@1")           # soil
        g.box(0, 318, W, 36, "0x5aa0c8@0.75")        # paddy water
        for i in range(21):                           # rows of rice seedlings
            x = 12 + i * 30
            g.box(x, 296, 3, 30, "0x7cc242@1")
            g.box(x - 5, 302, 3, 20, "0x6bb13a@1")
            g.box(x + 5, 302, 3, 20, "0x6bb13a@1")
    else:
        g.box(0, 300, W, 54, "0x1b5e9a@1")           # sea
        for i in range(16):                           # wave crests
            g.box(8 + i * 40, 308 + (i % 2) * 10, 24, 3, "white@0.55")
        g.box(470, 300, 170, 54, "0x7a9a4c@1")       # shore
    g.text(spec["header_zh"], FONT_ZH, 20, "white", 16, 11)
    g.text(spec["header_en"], FONT_EN, 14, "white@0.85",
           int(16 + text_width(spec["header_zh"], FONT_ZH, 20) + 12), 15)

    t = 0.0
    cues = []
    for dur, kind, d in spec["scenes"]:
        s, e = t, t + dur
        acc = spec["accent"]
        if kind == "title":
            g.text(d["zh"], FONT_ZH, 48, acc, "(w-text_w)/2", 92, s, e, TEXT_MAX_W)
            g.text(d["en"], FONT_EN_BOLD, 24, "white", "(w-text_w)/2", 156, s, e, TEXT_MAX_W)
            g.text(d["sub_zh"], FONT_ZH, 22, "white", "(w-text_w)/2", 212, s, e, TEXT_MAX_W)
            g.text(d["sub_en"], FONT_EN, 16, "white@0.85", "(w-text_w)/2", 246, s, e, TEXT_MAX_W)
        elif kind == "step":
            badge = spec.get("badge", "第{n}步 / Step {n} of {total}").format(n=d["n"], total=d["total"])
            g.text(badge, FONT_ZH, 16, "white@0.9",
                   f"w-text_w-{PANEL_X + 14}", 14, s, e)
            g.text(d["zh"], FONT_ZH, 36, acc, TEXT_X, 74, s, e, TEXT_MAX_W)
            g.text(d["en"], FONT_EN_BOLD, 20, acc, int(TEXT_X + text_width(d["zh"], FONT_ZH, 36) + 16),
                   88, s, e)
            y = 134
            for zh, en in d["lines"]:
                g.text("•", FONT_EN, 23, acc, TEXT_X, y + 3, s, e)
                g.text(zh, FONT_ZH, 23, "white", TEXT_X + 20, y, s, e, TEXT_MAX_W - 20)
                g.text(en, FONT_EN, 16, "white@0.85", TEXT_X + 20, y + 31, s, e, TEXT_MAX_W - 20)
                y += 74
        else:  # end card
            g.text(d["zh"], FONT_ZH, 34, acc, "(w-text_w)/2", 104, s, e, TEXT_MAX_W)
            g.text(d["en"], FONT_EN_BOLD, 20, "white", "(w-text_w)/2", 152, s, e, TEXT_MAX_W)
            y = 206
            for zh, en in d["lines"]:
                g.text(zh, FONT_ZH, 20, "white", "(w-text_w)/2", y, s, e, TEXT_MAX_W)
                g.text(en, FONT_EN, 15, "white@0.85", "(w-text_w)/2", y + 28, s, e, TEXT_MAX_W)
                y += 60
        cues.append((s, e, d["cap_zh"], d["cap_en"]))
        t = e

    bg0, bg1 = spec["bg"]
    starts = [c[0] for c in cues]
    chime = "+".join(
        f"if(gte(t,{st:.3f}),(0.28*sin(2*PI*{NOTES[i]}*t)+0.08*sin(4*PI*{NOTES[i]}*t))*exp(-2.5*(t-{st:.3f})),0)"
        for i, st in enumerate(starts))
    pad = "0.05*(sin(2*PI*130.81*t)+0.8*sin(2*PI*196.00*t)+0.6*sin(2*PI*261.63*t))*(0.75+0.25*sin(2*PI*0.25*t))"
    audio_expr = f"{pad}+{chime}"

    fg = []
    fg.append(f"gradients=s={W}x{H}:r={FPS}:d={total}:c0={bg0}:c1={bg1}:x0=0:y0=0:x1={W}:y1={H}:speed=0.02,"
              "format=yuv420p," + ",".join(g.filters) + "[base]")
    fg.append(f"color=c={spec['accent']}:s={W}x6:r={FPS}:d={total}[bar]")
    fg.append(f"[base][bar]overlay=x='-w+w*t/{total}':y={H - 6}:eval=frame,format=yuv420p[v]")
    fg.append(f"aevalsrc=exprs='{audio_expr}':s=44100:d={total},"
              f"afade=t=in:d=0.5,afade=t=out:st={total - 1.0}:d=1.0[a]")
    script = os.path.join(tmp, "graph.txt")
    with open(script, "w", encoding="utf-8") as f:
        f.write(";\n".join(fg))

    out_base = os.path.join(course_dir, spec["out"])
    os.makedirs(os.path.dirname(out_base), exist_ok=True)
    mp4 = out_base + ".mp4"
    cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
           "-filter_complex_script", script, "-map", "[v]", "-map", "[a]",
           "-c:v", "libx264", "-preset", "slow", "-profile:v", "main", "-level", "3.0",
           "-pix_fmt", "yuv420p", "-crf", "23", "-maxrate", "350k", "-bufsize", "700k",
           "-g", "50", "-keyint_min", "25", "-r", str(FPS),
           "-c:a", "aac", "-b:a", "64k", "-ac", "1", "-ar", "44100",
           "-t", str(total), "-movflags", "+faststart",
           "-metadata", f"title={spec['header_zh']} {spec['header_en']}",
           mp4]
    subprocess.run(cmd, check=True)

    for lang, idx in (("zh-CN", 2), ("en", 3)):
        with open(f"{out_base}.{lang}.vtt", "w", encoding="utf-8", newline="\n") as f:
            f.write("WEBVTT\n\n")
            for i, c in enumerate(cues, 1):
                # leave a small gap so consecutive cues never overlap
                f.write(f"{i}\n{ts(c[0])} --> {ts(c[1] - 0.1)}\n{c[idx]}\n\n")
    return mp4


def ts(sec):
    ms = int(round(sec * 1000))
    h, ms = divmod(ms, 3600000)
    m, ms = divmod(ms, 60000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    courses_dir = sys.argv[1]
    slugs = sys.argv[2:] or list(COURSES)
    for f in (FONT_ZH, FONT_EN, FONT_EN_BOLD):
        if not os.path.exists(f):
            raise SystemExit(f"missing font {f} (apt-get install fonts-wqy-zenhei fonts-dejavu-core)")
    for slug in slugs:
        tmp = tempfile.mkdtemp(prefix="demo-video-")
        try:
            mp4 = build(os.path.join(courses_dir, slug), COURSES[slug], tmp)
            print("wrote", mp4)
        finally:
            shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
