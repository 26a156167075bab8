#!/usr/bin/env python3
"""Generate the demo PDF handouts (bilingual, zh-CN + en).

Fonts are embedded as subsets (reportlab always subsets TrueType fonts), so
the PDFs render the same on any reader:
  - WenQuanYi Zen Hei (Debian: fonts-wqy-zenhei) for Chinese text
  - DejaVu Sans (Debian: fonts-dejavu-core) for English text

Usage: make_demo_pdfs.py COURSES_DIR [course-slug ...]
Needs: PyPI reportlab (pip install reportlab)
"""
import math
import os
import sys

from reportlab import rl_config
from reportlab.graphics import shapes
from reportlab.graphics.shapes import Circle, Drawing, Ellipse, Line, Polygon, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table,
                                TableStyle)

FONT_ZH_FILE = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
FONT_EN_FILE = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
FONT_EN_BOLD_FILE = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"

pdfmetrics.registerFont(TTFont("ZH", FONT_ZH_FILE, subfontIndex=0))
pdfmetrics.registerFont(TTFont("EN", FONT_EN_FILE))
pdfmetrics.registerFont(TTFont("EN-Bold", FONT_EN_BOLD_FILE))
pdfmetrics.registerFontFamily("EN", normal="EN", bold="EN-Bold", italic="EN", boldItalic="EN-Bold")
# The Chinese font has no bold face; map bold to the same face.
pdfmetrics.registerFontFamily("ZH", normal="ZH", bold="ZH", italic="ZH", boldItalic="ZH")
# Use an embedded font even for the canvas' initial font state, so the PDF
# references no non-embedded (base-14) font at all.
rl_config.canvas_basefontname = "EN"
shapes.STATE_DEFAULTS["fontName"] = "EN"  # drawings' initial font state

GREY = colors.HexColor("#555555")


def styles(accent):
    return dict(
        title=ParagraphStyle("title", fontName="ZH", fontSize=20, leading=26, textColor=accent,
                             wordWrap="CJK"),
        title_en=ParagraphStyle("title_en", fontName="EN-Bold", fontSize=12.5, leading=16,
                                textColor=accent),
        h=ParagraphStyle("h", fontName="ZH", fontSize=13, leading=17, textColor=accent,
                         spaceBefore=9, wordWrap="CJK"),
        h_en=ParagraphStyle("h_en", fontName="EN-Bold", fontSize=9.5, leading=12, textColor=accent,
                            spaceAfter=4),
        zh=ParagraphStyle("zh", fontName="ZH", fontSize=10, leading=14.5, wordWrap="CJK"),
        en=ParagraphStyle("en", fontName="EN", fontSize=8, leading=10.5, textColor=GREY,
                          spaceAfter=3),
        cell_zh=ParagraphStyle("cell_zh", fontName="ZH", fontSize=9, leading=12, wordWrap="CJK"),
        cell_en=ParagraphStyle("cell_en", fontName="EN", fontSize=7, leading=8.8, textColor=GREY),
        head_zh=ParagraphStyle("head_zh", fontName="ZH", fontSize=9.5, leading=12,
                               textColor=colors.white, wordWrap="CJK"),
        head_en=ParagraphStyle("head_en", fontName="EN-Bold", fontSize=7, leading=9,
                               textColor=colors.white),
        small=ParagraphStyle("small", fontName="ZH", fontSize=7.5, leading=10, textColor=GREY,
                             wordWrap="CJK"),
    )


def bi(st, zh, en, kind=""):
    """A Chinese paragraph with its English translation underneath."""
    return [Paragraph(zh, st[kind + "zh"]), Paragraph(en, st[kind + "en"])]


def heading(st, zh, en):
    return [Paragraph(zh, st["h"]), Paragraph(en, st["h_en"])]


def table(st, header, rows, widths, accent, light, row_height=None):
    data = [[bi(st, zh, en, "head_") for zh, en in header]]
    for row in rows:
        data.append([bi(st, zh, en, "cell_") if en is not None else Paragraph(zh, st["cell_zh"])
                     for zh, en in row])
    heights = None if row_height is None else [None] + [row_height] * len(rows)
    t = Table(data, colWidths=widths, repeatRows=1, rowHeights=heights)
    t.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), "EN", 8),
        
        ("BACKGROUND", (0, 0), (-1, 0), accent),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, light]),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#b9c7b0")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4), ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    return t


def boxed(flowables, border, fill, width):
    t = Table([[flowables]], colWidths=[width])
    t.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), "EN", 8),
        
        ("BOX", (0, 0), (-1, -1), 1, border), ("BACKGROUND", (0, 0), (-1, -1), fill),
        ("LEFTPADDING", (0, 0), (-1, -1), 8), ("RIGHTPADDING", (0, 0), (-1, -1), 8),
        ("TOPPADDING", (0, 0), (-1, -1), 6), ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
    ]))
    return t


def make_doc(path, title, subject):
    os.makedirs(os.path.dirname(path), exist_ok=True)

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont("ZH", 7)
        canvas.setFillColor(GREY)
        canvas.drawString(15 * mm, 9 * mm, title)
        canvas.drawRightString(A4[0] - 15 * mm, 9 * mm, f"{doc.page}")
        canvas.restoreState()

    doc = SimpleDocTemplate(path, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm,
                            topMargin=14 * mm, bottomMargin=15 * mm, title=title,
                            author="Courseware demo", subject=subject, lang="zh-CN")
    return doc, footer


# ---------------------------------------------------------------------------
# Rice growing handout
# ---------------------------------------------------------------------------
def rice_pdf(path):
    accent = colors.HexColor("#2f6b2f")
    light = colors.HexColor("#eef6e8")
    st = styles(accent)
    W = A4[0] - 30 * mm
    doc, footer = make_doc(path, "Rice field management sheet / 水稻田间管理明白纸", "Rice growing")
    s = []
    s.append(Paragraph("水稻田间管理明白纸", st["title"]))
    s.append(Paragraph("Rice Field Management Sheet — keep it by the field", st["title_en"]))
    s.append(Spacer(1, 4))
    s += bi(st, "以一季稻为例，全生育期约 130–150 天，各地品种和季节不同，时间请按当地农技站建议调整。",
            "Example: a single-season rice crop of about 130–150 days. Varieties and seasons differ; "
            "adjust dates to the advice of your local extension station.")

    s += heading(st, "一、农事日历", "1. Season calendar")
    s.append(table(st,
        [("时期", "Stage"), ("大约天数", "Approx. days"), ("主要农事", "Main tasks"), ("水层", "Water")],
        [
            [("育秧", "Nursery"), ("机插 15–20 天；手插 25–35 天", "Machine 15–20 d; hand 25–35 d"),
             ("晒种、选种、消毒，浸种催芽，稀播匀播；移栽前 3–5 天施送嫁肥",
              "Dry, sort and treat seed; pre-germinate; sow thinly; light fertiliser 3–5 days before transplanting"),
             ("湿润为主，低温时覆膜保温", "Keep moist; cover with film in cold spells")],
            [("移栽返青", "Transplanting, recovery"), ("5–7 天", "5–7 d"),
             ("日均温稳定在 15℃ 以上移栽；浅插约 2 厘米；行距 25–30 厘米；查苗补缺",
              "Transplant above 15 °C; plant ~2 cm deep; rows 25–30 cm; fill gaps"),
             ("插秧薄水 1–2 厘米，返青寸水 3–5 厘米", "1–2 cm to plant, 3–5 cm to recover")],
            [("分蘖期", "Tillering"), ("20–30 天", "20–30 d"),
             ("早施分蘖肥；每周查田；苗数达计划穗数约八成时排水晒田",
              "Early tillering fertiliser; weekly scouting; drain when tillers reach ~80% of target panicles"),
             ("浅水 1–3 厘米，间歇露田；够苗晒田至田面细裂", "1–3 cm with brief dry spells; then drain until fine cracks")],
            [("拔节孕穗", "Stem elongation, booting"), ("约 30 天", "about 30 d"),
             ("看苗施穗肥；防纹枯病、螟虫、稻纵卷叶螟",
              "Panicle fertiliser as needed; watch sheath blight, borers, leaf folder"),
             ("复水，孕穗期保持 3–5 厘米", "Re-flood; 3–5 cm at booting")],
            [("抽穗开花", "Heading, flowering"), ("7–10 天", "7–10 d"),
             ("阴雨天多时预防穗颈瘟；避开上午开花时段施药",
              "Protect against neck blast in wet weather; do not spray during morning flowering"),
             ("3–5 厘米，绝不能缺水", "3–5 cm, never let it dry out")],
            [("灌浆成熟", "Grain filling, ripening"), ("30–45 天", "30–45 d"),
             ("防稻飞虱；养根保叶；稻穗九成黄熟时收割",
              "Watch planthoppers; keep leaves green; harvest when ~90% of grains are golden"),
             ("干湿交替；收获前 7–10 天断水", "Wet–dry cycles; stop water 7–10 days before harvest")],
        ],
        [24 * mm, 27 * mm, 75 * mm, W - 126 * mm], accent, light))

    s.append(Spacer(1, 8))
    s.append(boxed(
        [Paragraph("管水口诀：浅水插秧，寸水返青，薄水分蘖，够苗晒田，有水孕穗，干湿灌浆，断水不早。", st["zh"]),
         Paragraph("Water rhyme: thin water to transplant, an inch to recover, shallow for tillers, drain at "
                   "enough tillers, water at booting, wet and dry while grains fill, and never stop too early.",
                   st["en"])],
        accent, light, W))

    s += heading(st, "二、常见病虫速查", "2. Quick pest and disease guide")
    s.append(table(st,
        [("病虫", "Pest / disease"), ("症状", "What you see"), ("怎么防", "What to do")],
        [
            [("二化螟", "Striped stem borer"), ("枯心苗、白穗，茎秆内有幼虫", "Dead hearts, white heads, larvae inside stems"),
             ("冬春灌水灭蛹，低留稻桩；性诱剂、杀虫灯", "Winter–spring flooding, low stubble; pheromone and light traps")],
            [("稻纵卷叶螟", "Rice leaf folder"), ("叶片纵卷成筒，白色条斑", "Leaves rolled into tubes, white streaks"),
             ("保护蜘蛛、寄生蜂；低龄幼虫期防治", "Protect spiders and wasps; treat young larvae")],
            [("稻飞虱", "Planthoppers"), ("稻丛基部成群吸汁，成片枯黄（冒穿）", "Swarms at plant base; patches turn brown (hopper burn)"),
             ("拨开稻丛查虫；少施氮肥；达标后对准基部施药", "Count at the base; less nitrogen; spray the base at threshold")],
            [("稻瘟病", "Rice blast"), ("梭形病斑，灰心褐边；穗颈变褐", "Spindle spots, grey centre, brown edge; brown neck"),
             ("抗病品种；破口抽穗前预防", "Resistant varieties; protect just before heading")],
            [("纹枯病", "Sheath blight"), ("近水面叶鞘上云纹状病斑", "Cloud-like blotches on sheaths near the water"),
             ("合理密植，及时晒田，控制氮肥", "Proper spacing, timely drainage, moderate nitrogen")],
        ],
        [30 * mm, 68 * mm, W - 98 * mm], accent, light))

    safety = heading(st, "三、安全用药五记住", "3. Five rules for safe spraying")
    rules = [
        ("看准再打：查田发现达到防治指标才用药。", "Scout first: spray only when the pest reaches the action threshold."),
        ("用对药：只用在水稻上登记的农药，按标签剂量配药。", "Right product: use only pesticides registered for rice, at the label dose."),
        ("做好防护：长衣长裤、手套、口罩；施药时不吃东西、不抽烟。", "Protect yourself: long sleeves, trousers, gloves, mask; no eating or smoking."),
        ("选好时间：避开大风、高温中午和水稻开花时段。", "Right time: avoid wind, midday heat and the flowering hours."),
        ("保护环境：遵守安全间隔期；药瓶回收，不在河塘、水渠清洗药械。",
         "Protect the environment: respect the pre-harvest interval; return empty containers; "
         "never wash sprayers in ponds or canals."),
    ]
    for i, (zh, en) in enumerate(rules, 1):
        safety.append(Paragraph(f"{i}. {zh}", st["zh"]))
        safety.append(Paragraph(f"&nbsp;&nbsp;&nbsp;&nbsp;{en}", st["en"]))
    s.append(KeepTogether(safety))

    blank = ("", None)
    form = table(st,
        [("项目", "Item"), ("记录", "Record"), ("项目", "Item"), ("记录", "Record")],
        [
            [("品种", "Variety"), blank, ("播种日期", "Sowing date"), blank],
            [("移栽日期", "Transplanting date"), blank, ("晒田日期", "Drainage date"), blank],
            [("施肥（日期、用量）", "Fertiliser (date, amount)"), blank, ("用药（日期、药名）", "Spraying (date, product)"), blank],
            [("抽穗日期", "Heading date"), blank, ("收获日期、产量", "Harvest date, yield"), blank],
        ],
        [32 * mm, W / 2 - 32 * mm, 32 * mm, W / 2 - 32 * mm], accent, light, row_height=38)
    s.append(KeepTogether(heading(st, "四、我的田块记录", "4. My field record") + [form]))
    s.append(Spacer(1, 6))
    s.append(Paragraph("本讲义为课程示例内容，数字为一般参考范围。Demo course material; figures are typical ranges.",
                       st["small"]))
    doc.build(s, onFirstPage=footer, onLaterPages=footer)


# ---------------------------------------------------------------------------
# Water cycle worksheet
# ---------------------------------------------------------------------------
def arrow(d, x1, y1, x2, y2, color, width=2.2, head=8):
    d.add(Line(x1, y1, x2, y2, strokeColor=color, strokeWidth=width))
    a = math.atan2(y2 - y1, x2 - x1)
    pts = [x2, y2,
           x2 - head * math.cos(a - 0.45), y2 - head * math.sin(a - 0.45),
           x2 - head * math.cos(a + 0.45), y2 - head * math.sin(a + 0.45)]
    d.add(Polygon(pts, fillColor=color, strokeColor=color, strokeWidth=0.5))


def badge(d, x, y, n):
    d.add(Circle(x, y, 8, fillColor=colors.white, strokeColor=colors.HexColor("#c0392b"), strokeWidth=1.4))
    d.add(String(x, y - 3.5, str(n), fontName="EN-Bold", fontSize=10, textAnchor="middle",
                 fillColor=colors.HexColor("#c0392b")))


def cloud(d, x, y, s=1.0):
    for dx, dy, rx, ry in ((0, 0, 34, 14), (-18, 6, 18, 12), (14, 10, 20, 14), (30, 2, 16, 10)):
        d.add(Ellipse(x + dx * s, y + dy * s, rx * s, ry * s, fillColor=colors.white,
                      strokeColor=colors.HexColor("#9bb4cc"), strokeWidth=0.8))


def water_diagram(width):
    h = 215
    d = Drawing(width, h)
    blue = colors.HexColor("#1d5f9e")
    d.add(Rect(0, 0, width, h, fillColor=colors.HexColor("#eaf5ff"), strokeColor=None))
    # sun
    d.add(Circle(38, h - 36, 22, fillColor=colors.HexColor("#ffcc33"), strokeColor=None))
    d.add(String(38, h - 40, "太阳 Sun", fontName="ZH", fontSize=10, textAnchor="middle",
                 fillColor=colors.HexColor("#7a4b00")))
    # sea
    d.add(Rect(0, 0, 210, 58, fillColor=colors.HexColor("#3a86c8"), strokeColor=None))
    d.add(String(90, 22, "海洋  Ocean", fontName="ZH", fontSize=10, textAnchor="middle",
                 fillColor=colors.white))
    # land: profile (200,58) -> peak (300,160) -> (390,96) -> (width,118)
    d.add(Polygon([200, 0, 200, 58, 300, 160, 390, 96, width, 118, width, 0],
                  fillColor=colors.HexColor("#8fb36a"), strokeColor=None))
    d.add(Polygon([286, 146, 300, 160, 314, 150], fillColor=colors.white, strokeColor=None))
    d.add(Rect(200, 0, width - 200, 30, fillColor=colors.HexColor("#a98b5f"), strokeColor=None))
    d.add(String(width - 60, 10, "地下水 Groundwater", fontName="ZH", fontSize=8.5, textAnchor="middle",
                 fillColor=colors.white))
    # tree
    tx = width - 45
    d.add(Rect(tx - 3, 110, 6, 20, fillColor=colors.HexColor("#6b4a2b"), strokeColor=None))
    d.add(Circle(tx, 138, 15, fillColor=colors.HexColor("#3f8f3f"), strokeColor=None))
    # clouds
    cloud(d, 140, 178)
    cloud(d, 370, 190)
    # rain lines
    for i in range(5):
        x = 352 + i * 10
        d.add(Line(x, 170, x - 4, 156, strokeColor=colors.HexColor("#3a86c8"), strokeWidth=1.2))
    # arrows with numbers (answers in the key at the end)
    arrow(d, 95, 64, 128, 160, blue)                  # 1 evaporation
    badge(d, 100, 112, 1)
    arrow(d, 185, 186, 325, 196, blue)                # 2 vapour transport
    badge(d, 255, 200, 2)
    arrow(d, 404, 152, 396, 110, blue)                # 3 precipitation
    badge(d, 418, 132, 3)
    arrow(d, 274, 142, 212, 78, blue)                 # 4 surface runoff
    badge(d, 228, 112, 4)
    arrow(d, 345, 120, 345, 34, blue)                 # 5 infiltration
    badge(d, 359, 70, 5)
    arrow(d, tx - 4, 156, tx - 22, 184, blue)         # 6 transpiration
    badge(d, tx + 10, 172, 6)
    return d


def water_pdf(path):
    accent = colors.HexColor("#1d5f9e")
    light = colors.HexColor("#e8f2fb")
    st = styles(accent)
    W = A4[0] - 30 * mm
    doc, footer = make_doc(path, "The water cycle - worksheet / 水的循环 学习单", "Water cycle")
    s = []
    s.append(Paragraph("水的循环 · 学习单", st["title"]))
    s.append(Paragraph("The Water Cycle — Worksheet (Grade 7 Science)", st["title_en"]))
    s.append(Spacer(1, 4))
    s.append(Paragraph("班级 Class ____________　　姓名 Name ____________　　日期 Date ____________", st["zh"]))
    s.append(Spacer(1, 2))

    s += heading(st, "一、读图：写出图中 1–6 各环节的名称", "1. Read the diagram: name processes 1–6")
    s.append(water_diagram(W))
    s.append(Spacer(1, 4))
    s += bi(st, "词库：蒸发、蒸腾、水汽输送、降水、地表径流、下渗",
            "Word bank: evaporation, transpiration, water-vapour transport, precipitation, surface runoff, infiltration")
    blanks = [[Paragraph(f"{i}. ______________", st["zh"]) for i in range(1, 4)],
              [Paragraph(f"{i}. ______________", st["zh"]) for i in range(4, 7)]]
    bt = Table(blanks, colWidths=[W / 3] * 3)
    bt.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), "EN", 8),
        ("LEFTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, -1), 4)]))
    s.append(bt)

    s += heading(st, "二、填空", "2. Fill in the blanks")
    fill = [
        ("水循环的能量主要来自 ________，而 ________ 使雨雪落下、河水从高处流向低处。",
         "The energy for the water cycle mainly comes from ________, while ________ makes rain fall and rivers flow downhill."),
        ("云是水蒸气上升遇冷 ________ 形成的小水滴或小冰晶。",
         "Clouds are tiny droplets or ice crystals formed when rising water vapour cools and ________."),
        ("使陆地上的淡水不断得到补充的是 ________ 循环。",
         "The ________ cycle keeps renewing fresh water on land."),
        ("地球上的水约 ______% 是海洋中的咸水，淡水只占约 ______%。",
         "About ______% of Earth's water is salt water in the oceans; only about ______% is fresh."),
    ]
    for i, (zh, en) in enumerate(fill, 1):
        s.append(Paragraph(f"{i}. {zh}", st["zh"]))
        s.append(Paragraph(f"&nbsp;&nbsp;&nbsp;&nbsp;{en}", st["en"]))

    s += heading(st, "三、判断（对的打 √，错的打 ×）", "3. True or false (√ / ×)")
    tf = [
        ("水只有加热到 100℃ 才会蒸发。", "Water only evaporates when it is heated to 100 °C."),
        ("植物通过蒸腾作用参与水循环。", "Plants take part in the water cycle through transpiration."),
        ("我们看到的白色的云就是水蒸气。", "The white clouds we see are water vapour."),
        ("城市铺设透水砖、建设绿地可以增加雨水下渗。", "Permeable paving and green spaces let more rain soak into the ground."),
    ]
    for i, (zh, en) in enumerate(tf, 1):
        s.append(Paragraph(f"(　) {i}. {zh}", st["zh"]))
        s.append(Paragraph(f"&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;{en}", st["en"]))

    short = heading(st, "四、简答", "4. Short answer")
    short += bi(st, "水循环让淡水不断更新，为什么我们仍然要节约用水、保护水源？（写出两点理由）",
            "The water cycle keeps renewing fresh water. Why must we still save water and protect water sources? (Give two reasons.)")
    lines = Table([[""]] * 4, colWidths=[W], rowHeights=[22] * 4)
    lines.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), "EN", 8),
        ("LINEBELOW", (0, 0), (-1, -1), 0.5, colors.HexColor("#999999"))]))
    short.append(lines)
    s.append(KeepTogether(short))

    s += heading(st, "五、课后小实验：袋子里的水循环", "5. Home experiment: a water cycle in a bag")
    s += bi(st, "在透明密封袋中装约 100 毫升水，封口后贴在向阳的窗户上。几小时后观察：袋子上部出现小水珠（凝结），"
                "水珠变大后沿袋壁流下（降水、径流）。把你的观察画下来。",
            "Put about 100 mL of water in a clear zip-lock bag, seal it and tape it to a sunny window. After a few hours, "
            "droplets form near the top (condensation), grow and run down the sides (precipitation, runoff). Draw what you see.")

    key = [
        ("参考答案（教师用）", "Answer key (for teachers)"),
        ("一、1 蒸发；2 水汽输送；3 降水；4 地表径流；5 下渗；6 蒸腾。",
         "1. 1 evaporation; 2 water-vapour transport; 3 precipitation; 4 surface runoff; 5 infiltration; 6 transpiration."),
        ("二、1 太阳（太阳辐射），重力；2 凝结；3 海陆间；4 约 97.5，约 2.5（答 97 和 3 也可）。",
         "2. (1) the Sun (solar radiation), gravity; (2) condenses; (3) sea–land; (4) about 97.5, about 2.5 (97 and 3 also accepted)."),
        ("三、1 ×（常温下也会蒸发）；2 √；3 ×（云是小水滴或小冰晶，水蒸气看不见）；4 √。",
         "3. (1) false (water evaporates at room temperature too); (2) true; (3) false (clouds are droplets or ice; vapour is invisible); (4) true."),
        ("四、示例：可直接利用的淡水很少，而且地区和季节分布不均；淡水更新需要时间，用得过快会枯竭；水被污染后难以利用。",
         "4. Example: usable fresh water is scarce and unevenly spread over places and seasons; it takes time to renew, "
         "so over-use drains it; polluted water cannot be used."),
    ]
    key_flow = []
    for zh, en in key:
        key_flow.append(Paragraph(zh, st["cell_zh"]))
        key_flow.append(Paragraph(en, st["cell_en"]))
    s.append(Spacer(1, 10))
    s.append(KeepTogether(boxed(key_flow, accent, light, W)))
    doc.build(s, onFirstPage=footer, onLaterPages=footer)


PDFS = {
    "rice-growing": ("docs/rice-handout.pdf", rice_pdf),
    "water-cycle": ("docs/water-cycle-worksheet.pdf", water_pdf),
}


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    courses_dir = sys.argv[1]
    for slug in sys.argv[2:] or list(PDFS):
        rel, fn = PDFS[slug]
        out = os.path.join(courses_dir, slug, rel)
        fn(out)
        print("wrote", out)


if __name__ == "__main__":
    main()
