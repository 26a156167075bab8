//! Roster CSV import: decode (UTF-8 or GBK, as Excel on Chinese Windows saves it), parse,
//! and classify every row as new, updated or bad before anything is written.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

/// One student as a roster row describes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterRow {
    /// 1-based line number in the file, for the report.
    pub line: usize,
    pub username: String,
    pub name: String,
    pub class: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BadRow {
    pub line: usize,
    pub text: String,
    pub reason: String,
}

/// What applying the roster would do.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Preview {
    pub new: Vec<RosterRow>,
    pub updated: Vec<RosterRow>,
    pub bad: Vec<BadRow>,
}

/// An existing account with the same username, as far as the roster rules care.
pub struct Existing {
    pub role: String,
    pub school_id: Option<i64>,
}

/// Decodes the file: UTF-8 (with or without BOM) when valid, else GBK/GB18030.
pub fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => encoding_rs::GB18030.decode(bytes).0.into_owned(),
    }
}

/// Splits CSV text into records of fields (RFC 4180 quoting; `,` or `;` or tab separators
/// are not guessed: Excel writes `,` for Chinese locales).
pub fn parse_csv(text: &str) -> Vec<(usize, Vec<String>)> {
    let mut records = Vec::new();
    let (mut field, mut fields) = (String::new(), Vec::new());
    let (mut in_quotes, mut line, mut start_line) = (false, 1usize, 1usize);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, in_quotes) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', true) => in_quotes = false,
            ('"', false) if field.is_empty() => in_quotes = true,
            (',', false) => fields.push(std::mem::take(&mut field)),
            ('\r', false) => {}
            ('\n', false) => {
                fields.push(std::mem::take(&mut field));
                records.push((start_line, std::mem::take(&mut fields)));
                line += 1;
                start_line = line;
            }
            ('\n', true) => {
                field.push('\n');
                line += 1;
            }
            (c, _) => field.push(c),
        }
    }
    if !field.is_empty() || !fields.is_empty() {
        fields.push(field);
        records.push((start_line, fields));
    }
    records
        .into_iter()
        .filter(|(_, f)| f.iter().any(|v| !v.trim().is_empty()))
        .collect()
}

fn column(header: &[String], names: &[&str]) -> Option<usize> {
    header.iter().position(|h| names.contains(&h.trim().to_lowercase().as_str()))
}

/// Classifies every row. `existing` maps usernames to accounts already in the database;
/// `school_id` is the importing teacher's school.
pub fn preview(text: &str, school_id: i64, existing: &HashMap<String, Existing>) -> Result<Preview, String> {
    let mut records = parse_csv(text).into_iter();
    let (_, header) = records.next().ok_or("the file is empty")?;
    let (Some(user_col), Some(name_col), Some(class_col)) = (
        column(&header, &["username", "用户名", "账号", "学号"]),
        column(&header, &["name", "姓名"]),
        column(&header, &["class", "班级"]),
    ) else {
        return Err("the first row must name the columns: 用户名/username, 姓名/name, 班级/class".into());
    };
    let mut preview = Preview::default();
    let mut seen = HashSet::new();
    for (line, fields) in records {
        let get = |i: usize| fields.get(i).map(|v| v.trim().to_string()).unwrap_or_default();
        let row = RosterRow { line, username: get(user_col), name: get(name_col), class: get(class_col) };
        let bad = |reason: &str| BadRow { line, text: fields.join(","), reason: reason.to_string() };
        let reason = if row.username.is_empty() || row.name.is_empty() || row.class.is_empty() {
            Some("username, name and class are all required")
        } else if !super::account::is_valid_username(&row.username) {
            Some("username must be 2-64 letters, digits, '_', '.' or '-'")
        } else if !seen.insert(row.username.to_lowercase()) {
            Some("this username appears twice in the file")
        } else {
            match existing.get(&row.username) {
                Some(e) if e.role != "student" || e.school_id != Some(school_id) => {
                    Some("this username belongs to an account outside your school's students")
                }
                _ => None,
            }
        };
        match reason {
            Some(r) => preview.bad.push(bad(r)),
            None if existing.contains_key(&row.username) => preview.updated.push(row),
            None => preview.new.push(row),
        }
    }
    Ok(preview)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gbk_and_bom_files_decode() {
        let (gbk, _, _) = encoding_rs::GBK.encode("用户名,姓名,班级\r\nzhang3,张三,七年级1班\r\n");
        assert!(decode(&gbk).contains("张三"));
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice("用户名,姓名,班级\n".as_bytes());
        assert!(decode(&bom).starts_with("用户名"));
    }

    #[test]
    fn csv_quotes_and_blank_lines() {
        let rows = parse_csv("a,b,c\n\"x, y\",\"say \"\"hi\"\"\",z\n\n1,2,3");
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[1].1, vec!["x, y", "say \"hi\"", "z"]);
        assert_eq!(rows[2].0, 4, "line numbers count the blank line");
    }

    #[test]
    fn rows_are_classified_with_reasons() {
        let mut existing = HashMap::new();
        existing.insert("old".to_string(), Existing { role: "student".into(), school_id: Some(1) });
        existing.insert("teacher".to_string(), Existing { role: "teacher".into(), school_id: Some(1) });
        existing.insert("far".to_string(), Existing { role: "student".into(), school_id: Some(2) });
        let text = "username,name,class\nnew1,甲,1班\nold,乙,2班\nteacher,丙,1班\nfar,丁,1班\n,戊,1班\nnew1,己,1班\nbad name,庚,1班\n";
        let p = preview(text, 1, &existing).unwrap();
        assert_eq!(p.new.iter().map(|r| r.username.as_str()).collect::<Vec<_>>(), vec!["new1"]);
        assert_eq!(p.updated.len(), 1);
        assert_eq!(p.bad.iter().map(|b| b.line).collect::<Vec<_>>(), vec![4, 5, 6, 7, 8]);
        assert!(preview("name,x\n", 1, &existing).is_err());
    }
}
