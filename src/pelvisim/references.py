"""Every source pelvisim cites: who, when, what, where, and how it was measured.

The method decides how far to trust a number, so it travels with every citation: RSA
(radiostereometric analysis of tantalum balls implanted in the bones — the reference method for
SIJ motion, precision about 0.5–0.7°), Kirschner wires with external markers photographed in
stereo, skin markers, cadaver specimens, finite-element (FE) models, upright MRI, examiner
agreement studies, reviews, textbook teaching, and the lay articles ("seed articles") whose
claims pelvisim sets out to show.

``docs/references.md`` is generated from :data:`REFERENCES` (``pelvisim claims --references``).
Marker explained: **[U]** marks textbook teaching that could not be checked against a measurement
(reference/BIOMECHANICS.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class Reference:
    """One cited source.

    Attributes
    ----------
    key : str
        How pelvisim cites it in text, e.g. ``"Jacob & Kissling 1995"``.
    authors : str
    year : int or None
        None when the source is undated.
    title : str
    where : str
        Journal (volume:pages) or publisher / website.
    method : str
        How it was measured (or "teaching", "lay article").
    measured : str
        What it found that pelvisim uses, in our words.
    """

    key: str
    authors: str
    year: int | None
    title: str
    where: str
    method: str
    measured: str

    def line(self) -> str:
        """``Authors (year). Title. Where. — method: what was measured.``"""
        year = self.year if self.year is not None else "undated"
        return f"{self.authors} ({year}). {self.title}. {self.where}. Method: {self.method}. {self.measured}"


RSA = "RSA (radiostereometric analysis of tantalum balls implanted in the sacrum and ilia)"
K_WIRES = "Kirschner wires drilled into the bones carrying external markers, photographed in stereo (not RSA)"

_ENTRIES: tuple[Reference, ...] = (
    # --- in-vivo SIJ and symphysis motion -------------------------------------------------------
    Reference("Jacob & Kissling 1995", "Jacob HAC, Kissling RO", 1995,
              "The mobility of the sacroiliac joints in healthy volunteers between 20 and 50 years of age",
              "Clinical Biomechanics 10(7):352–361", K_WIRES,
              "24 healthy volunteers changing posture from standing: mean total rotation 1.7°, translation 0.7 mm; "
              "one volunteer with occasional SIJ trouble exceeded 6°."),
    Reference("Kissling & Jacob 1996", "Kissling RO, Jacob HAC", 1996,
              "The mobility of the sacroiliac joint in healthy subjects", "Bulletin of the Hospital for Joint Diseases "
              "54(3):158–164", K_WIRES,
              "Same volunteers: helical axes of SIJ motion vary widely between subjects; translations above 2 mm "
              "proposed as pathological."),
    Reference("Sturesson 1989", "Sturesson B, Selvik G, Udén A", 1989,
              "Movements of the sacroiliac joints: a roentgen stereophotogrammetric analysis", "Spine 14(2):162–165", RSA,
              "The first RSA study of SIJ motion, in patients with presumed SIJ pain: small rotations and translations."),
    Reference("Sturesson 2000", "Sturesson B, Udén A, Vleeming A", 2000,
              "A radiostereometric analysis of movements of the sacroiliac joints during the standing hip flexion test",
              "Spine 25(3):364–368", RSA,
              "22 patients with presumed SIJ pain doing the standing hip-flexion test: very small rotations in both "
              "SIJs; the test cannot be recommended for judging SIJ motion (self-locking under one-leg load)."),
    Reference("Kibsgård 2012", "Kibsgård TJ, Røise O, Stuge B, Röhrl SM", 2012,
              "Precision and accuracy measurement of radiostereometric analysis applied to movement of the sacroiliac "
              "joint", "Clinical Orthopaedics and Related Research 470(11):3187–3194",
              RSA + "; phantom and double examinations of 6 patients with pelvic girdle pain",
              "Precision in patients 0.71° rotation and 0.47 mm translation; reviewing earlier RSA work, the largest SIJ "
              "rotation measured was 3.6° and translation never exceeded 2 mm."),
    Reference("Kibsgård 2014", "Kibsgård TJ, Røise O, Sturesson B, Röhrl SM, Stuge B", 2014,
              "Radiosteriometric analysis of movement in the sacroiliac joint during a single-leg stance in patients "
              "with long-lasting pelvic girdle pain", "Clinical Biomechanics 29(4):406–411",
              RSA + "; 11 patients with long-lasting pelvic girdle pain (not healthy people)",
              "Single-leg stance: about 0.5° total rotation in both SIJs, no measurable translation."),
    Reference("Kibsgård 2017", "Kibsgård TJ, Röhrl SM, Røise O, Sturesson B, Stuge B", 2017,
              "Movement of the sacroiliac joint during the Active Straight Leg Raise test in patients with long-lasting "
              "severe sacroiliac joint pain", "Clinical Biomechanics 47:40–45",
              RSA + "; patients with long-lasting severe pelvic girdle pain",
              "Active straight leg raise: the resting-side innominate turned about 0.8° backward and 0.3° inward."),
    Reference("Hungerford 2004", "Hungerford B, Gilleard W, Lee D", 2004,
              "Altered patterns of pelvic bone motion determined in subjects with posterior pelvic pain using skin "
              "markers", "Clinical Biomechanics 19(5):456–464", "skin markers tracked by motion capture (not RSA)",
              "Standing hip flexion: the ilium on the flexing side rotated posteriorly relative to the sacrum in both "
              "groups; the key result is the support side, which rotated posteriorly in pain-free subjects and "
              "anteriorly in those with pelvic pain. [pelvisim's comment: skin over bone moves with soft tissue, so "
              "rotations of a degree or less are uncertain with this method.]"),
    Reference("Hungerford 2007", "Hungerford BA, Gilleard W, Moran M, Emmerson C", 2007,
              "Evaluation of the ability of physical therapists to palpate intrapelvic motion with the Stork test on the "
              "support side", "Physical Therapy 87(7):879–887", "examiner agreement (palpation) against skin-marker motion",
              "The Stork test on the support side is the most reliable pelvic palpation test, κ about 0.6–0.77."),
    Reference("Tullberg 1998", "Tullberg T, Blomberg S, Branth B, Johnsson R", 1998,
              "Manipulation does not alter the position of the sacroiliac joint: a roentgen stereophotogrammetric "
              "analysis", "Spine 23(10):1124–1128", RSA,
              "Manipulation 'normalised' the palpation findings without changing the measured SIJ position."),
    Reference("Meissner 1996", "Meissner A, Fell M, Wilk R, Boenick U, Rahmanzadeh R", 1996,
              "Biomechanik der Symphyse: welche Kräfte führen zur Mobilität der Symphyse unter physiologischen "
              "Bedingungen? (Biomechanics of the pubic symphysis)", "Der Unfallchirurg 99(6):415–421",
              "review of Walheim's in-vivo symphysis measurements, plus cadaver force–mobility tests of 10 anterior "
              "pelvic rings",
              "Walheim: one-leg stance up to 2.6 mm vertical and 1.3 mm sagittal symphysis motion, walking 2.2 mm and "
              "1.3 mm, no effective transverse motion."),
    Reference("Goode 2008", "Goode A, Hegedus EJ, Sizer P, Brismee JM, Linberg A, Cook CE", 2008,
              "Three-dimensional movements of the sacroiliac joint: a systematic review of the literature and "
              "assessment of clinical utility", "Journal of Manual & Manipulative Therapy 16(1):25–38",
              "systematic review (in-vivo and cadaver studies)",
              "SIJ rotations are small, typically about a degree or less per plane; horizontal-plane range across "
              "studies −0.8…4.0°."),
    Reference("Toyohara 2020", "Toyohara R, Kurosawa D, Hammer N, et al.", 2020,
              "Finite element analysis of load transition on sacroiliac joint during bipedal walking",
              "Scientific Reports 10:13683", "finite-element model driven by 3D gait-analysis data",
              "The sacrum nutates relative to the ilium in stance and counternutates in swing (direction only; no "
              "in-vivo magnitude exists)."),
    Reference("Bruna-Rosso 2016", "Bruna-Rosso C, Arnoux PJ, Bianco RJ, et al.", 2016,
              "Finite element analysis of sacroiliac joint fixation under compression loads",
              "International Journal of Spine Surgery 10:16", "finite-element model calibrated on cadaver data",
              "Under 600 N and 1000 N the sacrum nutated 1.38° and 2.80° with about 0.3 mm translation."),
    Reference("Miller 1987", "Miller JA, Schultz AB, Andersson GB", 1987, "Load-displacement behavior of sacroiliac joints",
              "Journal of Orthopaedic Research 5(1):92–101", "cadaver specimens under applied loads",
              "SIJ secant stiffness, from which pelvisim's joint springs are derived."),
    Reference("Cho 2023", "Cho W, Wang W, Lim HJ, Bucklen BS", 2023,
              "An in vitro biomechanical analysis of contralateral sacroiliac joint motion following unilateral "
              "sacroiliac stabilization with and without lumbosacral fixation", "Asian Spine Journal 17(1):185–193",
              "cadaver (7 lumbopelvic specimens, motion capture under pure moments)",
              "Fixing one SIJ did not make the other one hypermobile."),
    Reference("Lindsey 2015", "Lindsey DP, Kiapour A, Yerby SA, Goel VK", 2015,
              "Sacroiliac joint fusion minimally affects adjacent lumbar segment motion: a finite element study",
              "International Journal of Spine Surgery 9:64", "finite-element model",
              "Fusing an SIJ changed the motion of the adjacent lumbar segment (L5–S1, not the other SIJ) by only "
              "1–5 %."),
    Reference("Damen 2002", "Damen L, Buyruk HM, Güler-Uysal F, et al.", 2002,
              "The prognostic value of asymmetric laxity of the sacroiliac joints in pregnancy-related pelvic pain",
              "Spine 27(24):2820–2824", "Doppler imaging of vibrations (a laxity index in threshold units, not SI units)",
              "Asymmetric laxity (left–right difference ≥ 3 threshold units) predicted persistent postpartum pain "
              "(sensitivity 65 %, specificity 83 %)."),
    Reference("Snijders 1993", "Snijders CJ, Vleeming A, Stoeckart R", 1993,
              "Transfer of lumbosacral load to iliac bones and legs, part 1: biomechanics of self-bracing of the "
              "sacroiliac joints and its significance for treatment and exercise", "Clinical Biomechanics 8(6):285–294",
              "biomechanical model", "Self-bracing: form and force closure of the SIJ."),
    Reference("Vleeming 1990", "Vleeming A, Volkers AC, Snijders CJ, Stoeckart R", 1990,
              "Relation between form and function in the sacroiliac joint, part II: biomechanical aspects",
              "Spine 15(2):133–136", "cadaver", "Ridges and coarse cartilage raise friction: form closure."),
    Reference("Bakland & Hansen 1984", "Bakland O, Hansen JH", 1984, "The 'axial sacroiliac joint'",
              "Anatomia Clinica 6:29–36", "cadaver anatomy",
              "An axial interosseous region behind the auricular surface at about S2: pelvisim's default nutation axis."),
    # --- palpation ------------------------------------------------------------------------------
    Reference("Della Croce 1999", "Della Croce U, Cappozzo A, Kerrigan DC", 1999,
              "Pelvis and lower limb anatomical landmark calibration precision and its propagation to bone geometry and "
              "joint angles", "Medical & Biological Engineering & Computing 37(2):155–161",
              "examiners locating landmarks on subjects in a gait laboratory",
              "3D error of locating a landmark, 15–20 mm at the iliac spines — a location error, not a measured "
              "threshold for telling left from right."),
    Reference("Preece 2008", "Preece SJ, Willan P, Nester CJ, et al.", 2008,
              "Variation in pelvic morphology may prevent the identification of anterior pelvic tilt",
              "Journal of Manual & Manipulative Therapy 16(2):113–117", "cadaver pelves measured directly",
              "Normal pelves differ left to right by up to 16 mm in innominate height and 11° in ASIS–PSIS tilt."),
    Reference("Stovall & Kumar 2010", "Stovall BA, Kumar S", 2010,
              "Reliability of bony anatomic landmark asymmetry assessment in the lumbopelvic region: application to "
              "osteopathic medical education", "Journal of the American Osteopathic Association 110(11):667–674",
              "examiner agreement (palpation)",
              "Inter-examiner κ: ASIS −0.01…0.19, PSIS 0.04…0.15, sacral sulcus −0.4…0.37."),
    Reference("O'Haire & Gibbons 2000", "O'Haire C, Gibbons P", 2000,
              "Inter-examiner and intra-examiner agreement for assessing sacroiliac anatomical landmarks using palpation "
              "and observation: pilot study", "Manual Therapy 5(1):13–20", "examiner agreement (palpation)",
              "Inter-examiner κ: PSIS 0.04, ILA 0.08, sulcus 0.07."),
    Reference("Riddle & Freburger 2002", "Riddle DL, Freburger JK", 2002,
              "Evaluation of the presence of sacroiliac joint region dysfunction using a combination of tests: a "
              "multicenter intertester reliability study", "Physical Therapy 82(8):772–781",
              "examiner agreement (palpation test clusters)", "Composite judgements κ 0.11–0.23."),
    # --- gait -----------------------------------------------------------------------------------
    Reference("Saunders 1953", "Saunders JB, Inman VT, Eberhart HD", 1953, "The major determinants in normal and "
              "pathological gait", "Journal of Bone and Joint Surgery 35-A(3):543–558", "gait observation (secondary)",
              "Pelvic rotation about ±4° and obliquity ±4–5° per stride."),
    # --- teaching -------------------------------------------------------------------------------
    Reference("Mitchell (MSU)", "Mitchell FL Jr; Michigan State University manual medicine teaching", None,
              "Sacral torsions about oblique axes; innominate rotation about transverse axes",
              "osteopathic teaching material", "teaching [U]",
              "Oblique axes from the upper pole of one SIJ to the lower pole of the other (called hypothetical by their "
              "authors); the inferior transverse axis of the innominates at the SIJs' lower poles."),
    Reference("Manual-therapy teaching", "Manual-therapy and osteopathic teaching (no single author)", None,
              "Positional diagnoses of the innominate: inflare / outflare, superior / inferior innominate shear "
              "(upslip / downslip), superior / inferior pubic shear", "courses and textbooks of manual therapy",
              "teaching [U]",
              "The landmark signatures a clinician is taught to palpate: inflare ASIS medial, PSIS lateral; upslip "
              "ASIS, PSIS, pubic tubercle and ischial tuberosity superior; pubic shear the pubic tubercle up or down "
              "with the ASIS and PSIS level. No measurement behind the stories themselves."),
    Reference("Kapandji", "Kapandji IA", None, "The Physiology of the Joints, volume 3: the trunk and the vertebral column",
              "textbook", "teaching [U]", "Nutation and counternutation of the sacrum between the ilia."),
    # --- seed articles (the lay claims pelvisim shows) -----------------------------------------
    Reference("Gurd 2010", "Gurd V", 2010, "Mobilizations to get rid of SI joint pain", "blog article",
              "lay article (personal account, no measurement)",
              "A weak right sacral multifidus lets the sacrum rotate left, which flares the left ilium in (ASIS medial) "
              "and the right one out."),
    Reference("Russell 2024", "Russell G", 2024, "The role of the SI joint in hip and low-back pain",
              "massage-therapy magazine article, 1 February 2024", "lay article (no measurement)",
              "The ilium turns like a wheel ('flexion' lifts the knee, 'extension' locks the leg); a tight iliacus tips "
              "the same-side ilium forward."),
    Reference("Luchau 2022", "Luchau T [inferred]", 2022, "The twisting sacrum: Ilia Rotation Technique",
              "Massage & Bodywork, 2022 (author, year and issue inferred: the article's text names none of them; it "
              "cites a source accessed June 2022)", "lay article (technique column, cites Damen 2002)",
              "Walking and turning twist the sacrum a little between the ilia; even left/right SIJ stiffness matters "
              "more than a static position; position labels are unreliable."),
    Reference("MELT (Dalton)", "MELT Method blog, quoting Erik Dalton", None, "Is rotation of the sacrum causing your pelvic "
              "pain?", "MELT Method website", "lay article (no measurement)",
              "The sacrum gets stuck side-bent and rotated between the ilia; form and force closure keep the keystone "
              "in place."),
    Reference("Gold 2014", "Gold L", 2014, "Understanding the sacro-iliac joints, stopping the pain and weird symptoms",
              "blog article", "lay article (clinical impressions, no measurement)",
              "One side of the sacrum shifts down and twists; a jammed SIJ makes walking overwork the other one; 1–2 mm "
              "is said to be enough for symptoms."),
)

REFERENCES: Mapping[str, Reference] = MappingProxyType({r.key: r for r in _ENTRIES})
"""Every cited source, by the key used in pelvisim's texts."""


def reference(key: str) -> Reference:
    """The reference cited as ``key``; a KeyError names the known keys."""
    try:
        return REFERENCES[key]
    except KeyError:
        raise KeyError(f"unknown reference {key!r}; known: {', '.join(REFERENCES)}") from None


def markdown() -> str:
    """``docs/references.md``: every source with its method and finding."""
    lines = [
        "# References",
        "",
        "Generated by `pelvisim claims --references`. Each source says how it "
        "measured, because that decides how far to trust it: **RSA** (radiostereometric analysis of tantalum balls "
        "implanted in the bones, the reference method for SIJ motion), Kirschner wires with external markers "
        "photographed in stereo, skin markers, cadavers, finite-element models, examiner-agreement studies. "
        "**[U]** marks textbook teaching that could not be checked against a measurement; **[inferred]** an attribution "
        "pelvisim inferred because the source text does not state it. The seed articles are the "
        "lay articles whose claims pelvisim sets out to show; they are cited by author, title and year.",
        "",
        "| cited as | authors (year) | title | where | method | what pelvisim uses |",
        "|---|---|---|---|---|---|",
    ]
    for r in _ENTRIES:
        year = r.year if r.year is not None else "undated"
        lines.append(f"| {r.key} | {r.authors} ({year}) | {r.title} | {r.where} | {r.method} | {r.measured} |")
    return "\n".join(lines) + "\n"
