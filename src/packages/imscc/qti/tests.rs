//! The QTI reader on a CC-profile assessment with one item of each type, plus one it cannot play.
use super::*;
use crate::packages::xml;

fn field(label: &str, entry: &str) -> String {
    format!("<qtimetadatafield><fieldlabel>{label}</fieldlabel><fieldentry>{entry}</fieldentry></qtimetadatafield>")
}

fn item(ident: &str, profile: &str, body: &str, processing: &str) -> String {
    format!(
        r#"<item ident="{ident}" title="{ident} title"><itemmetadata><qtimetadata>{}{}</qtimetadata></itemmetadata>
<presentation>{body}</presentation><resprocessing><outcomes><decvar varname="SCORE" vartype="Decimal" minvalue="0" maxvalue="100"/></outcomes>{processing}</resprocessing></item>"#,
        field("cc_profile", profile),
        field("cc_weighting", if ident == "mr" { "2" } else { "1" })
    )
}

fn choices(ident: &str, cardinality: &str, labels: &[(&str, &str)]) -> String {
    let labels: String = labels
        .iter()
        .map(|(id, text)| format!(r#"<response_label ident="{id}"><material><mattext texttype="text/plain">{text}</mattext></material></response_label>"#))
        .collect();
    format!(r#"<response_lid ident="{ident}" rcardinality="{cardinality}"><render_choice>{labels}</render_choice></response_lid>"#)
}

fn html(text: &str) -> String {
    format!(r#"<material><mattext texttype="text/html">{}</mattext></material>"#, text.replace('<', "&lt;").replace('>', "&gt;"))
}

/// An assessment with one item of each CC type and a matching item.
pub(in crate::packages) fn sample() -> String {
    let set = |cond: &str| format!(r#"<respcondition continue="No"><conditionvar>{cond}</conditionvar><setvar action="Set" varname="SCORE">100</setvar></respcondition>"#);
    let items = [
        item(
            "mc",
            "cc.multiple_choice.v0p1",
            &format!("{}{}", html("<p>Which is a <b>mammal</b>?</p>"), choices("r1", "Single", &[("a", "Shark"), ("b", "Whale"), ("c", "Trout")])),
            &set(r#"<varequal respident="r1">b</varequal>"#),
        ),
        item(
            "mr",
            "cc.multiple_response.v0p1",
            &format!("{}{}", html("Pick the primes <img src=\"$IMS-CC-FILEBASE$/primes.png\">"), choices("r1", "Multiple", &[("a", "2"), ("b", "4"), ("c", "5")])),
            &set(r#"<and><varequal respident="r1">a</varequal><not><varequal respident="r1">b</varequal></not><varequal respident="r1">c</varequal></and>"#),
        ),
        item(
            "tf",
            "cc.true_false.v0p1",
            &format!("{}{}", html("The sun is a star."), choices("r1", "Single", &[("t", "True"), ("f", "False")])),
            &set(r#"<varequal respident="r1">t</varequal>"#),
        ),
        item(
            "fib",
            "cc.fib.v0p1",
            &format!("{}{}", html("Water freezes at ___ degrees &amp; boils at 100."), r#"<response_str ident="r1" rcardinality="Single"><render_fib><response_label ident="answer1"/></render_fib></response_str>"#),
            &set(r#"<varequal respident="r1" case="Yes">Zero</varequal><varequal respident="r1">0</varequal>"#),
        ),
        item(
            "essay",
            "cc.essay.v0p1",
            &format!("{}{}", html("Why do leaves fall?"), r#"<response_str ident="r1" rcardinality="Single"><render_fib><response_label ident="answer1" rshuffle="No"/></render_fib></response_str>"#),
            "",
        ),
        item("match", "cc.pattern_match.v0p1", &html("Spell it"), ""),
    ];
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<questestinterop xmlns="http://www.imsglobal.org/xsd/ims_qtiasiv1p2"><assessment ident="quiz1" title="Animals &amp; numbers">
<qtimetadata>{}</qtimetadata><section ident="root_section">{}</section></assessment></questestinterop>"#,
        field("cc_maxattempts", "3"),
        items.join("\n")
    )
}

#[test]
fn every_cc_item_type_becomes_a_question_and_the_rest_is_named() {
    let doc = xml::parse(sample().as_bytes(), "quiz1/assessment.xml").unwrap();
    let read = read_assessment(&doc);
    assert_eq!(read.title, "Animals & numbers");
    let quiz = read.quiz.expect("a quiz");
    assert_eq!(quiz.max_attempts, Some(3));
    let answers: Vec<(&str, &Answer)> = quiz.questions.iter().map(|q| (q.id.as_str(), &q.answer)).collect();
    assert_eq!(
        answers,
        [
            ("mc", &Answer::Single(1)),
            ("mr", &Answer::Multiple(vec![0, 2])),
            ("tf", &Answer::TrueFalse(true)),
            ("fib", &Answer::Fill(vec!["zero".into(), "0".into()])),
            ("essay", &Answer::Essay),
        ]
    );
    assert_eq!(quiz.questions[0].text, "Which is a mammal?");
    assert_eq!(quiz.questions[0].choices, ["Shark", "Whale", "Trout"]);
    assert_eq!(quiz.questions[1].points, 2.0);
    assert!(quiz.questions[2].choices.is_empty(), "true/false uses the quiz page's own buttons");
    assert_eq!(quiz.questions[3].text, "Water freezes at ___ degrees & boils at 100.");
    assert_eq!(quiz.questions[1].images, ["$IMS-CC-FILEBASE$/primes.png"], "images are kept as written, for the caller to resolve");
    assert_eq!(read.notes.len(), 2, "{:?}", read.notes);
    assert!(read.notes[0].contains("`fib`") && read.notes[0].contains("case"), "{:?}", read.notes);
    assert!(read.notes[1].contains("item `match` (\"match title\") was left out") && read.notes[1].contains("cc.pattern_match.v0p1"), "{:?}", read.notes);
}

#[test]
fn items_without_profile_are_judged_by_their_responses_and_bad_items_are_named() {
    let bare = r#"<questestinterop><assessment title="Bare"><section>
<item ident="x y"><presentation><material><mattext>Pick</mattext></material>
<response_lid ident="r" rcardinality="Single"><render_choice><response_label ident="1"><material><mattext>是</mattext></material></response_label><response_label ident="2"><material><mattext>否</mattext></material></response_label></render_choice></response_lid></presentation>
<resprocessing><respcondition><conditionvar><varequal respident="r">2</varequal></conditionvar><setvar action="Add">1</setvar></respcondition></resprocessing></item>
<item ident="open"><presentation><material><mattext>Say</mattext></material><response_str ident="r"><render_fib/></response_str></presentation></item>
<item ident="noright"><presentation><response_lid ident="r"><render_choice><response_label ident="a"/><response_label ident="b"/></render_choice></response_lid></presentation></item>
</section></assessment></questestinterop>"#;
    let read = read_assessment(&xml::parse(bare.as_bytes(), "a.xml").unwrap());
    let quiz = read.quiz.unwrap();
    assert_eq!(quiz.questions.len(), 2);
    assert_eq!((quiz.questions[0].id.as_str(), &quiz.questions[0].answer), ("q1", &Answer::Single(1)), "no profile: a one-choice question keeps its labels");
    assert_eq!(quiz.questions[1].answer, Answer::Essay);
    assert_eq!(quiz.max_attempts, None);
    assert_eq!(read.notes.len(), 1);
    assert!(read.notes[0].contains("`noright`") && read.notes[0].contains("no choice as right"), "{:?}", read.notes);
    let empty = read_assessment(&xml::parse(b"<questestinterop/>", "a.xml").unwrap());
    assert!(empty.quiz.is_none() && empty.notes[0].contains("no <assessment>"));
}
