//! The cases in parity.json, which the browser runtime's tests also run, so
//! the SCO sees the same answers in the browser as the server gives on commit.

use serde_json::Value;

use super::super::{get_value, set_value, CmiState, Version};

fn state_from(setup: &Value) -> CmiState {
    let mut s = CmiState::default();
    for (k, v) in setup.as_object().expect("setup is an object") {
        s.values.insert(
            k.clone(),
            v.as_str().expect("setup values are strings").to_string(),
        );
    }
    s
}

#[test]
fn parity_cases() {
    let doc: Value = serde_json::from_str(include_str!("parity.json")).expect("parity.json parses");
    let mut ran = 0;
    for group in doc["groups"].as_array().expect("groups") {
        let version: Version = serde_json::from_value(group["version"].clone()).expect("version");
        let base = state_from(&group["setup"]);
        for case in group["set"].as_array().expect("set cases") {
            let (element, value) = (case[0].as_str().unwrap(), case[1].as_str().unwrap());
            let expected = case[2].as_u64().unwrap();
            let mut s = base.clone();
            let got = set_value(version, &mut s, element, value)
                .err()
                .map_or(0, |e| u64::from(e.code));
            assert_eq!(got, expected, "{version:?} SetValue({element}, {value:?})");
            if got != 0 {
                assert_eq!(s, base, "a refused SetValue({element}) changed the state");
            }
            ran += 1;
        }
        for case in group["get"].as_array().expect("get cases") {
            let element = case[0].as_str().unwrap();
            let got = get_value(version, &base, element);
            match &case[1] {
                Value::String(expected) => {
                    assert_eq!(
                        got.as_deref().map_err(|e| e.code),
                        Ok(expected.as_str()),
                        "GetValue({element})"
                    )
                }
                code => assert_eq!(
                    got.err().map(|e| u64::from(e.code)),
                    code.as_u64(),
                    "GetValue({element})"
                ),
            }
            ran += 1;
        }
    }
    assert!(ran > 100, "only {ran} parity cases ran");
}
