//! Unit tests of the multi-row statements' chunking and placeholders.

#[test]
fn placeholders_number_rows_and_columns() {
    use super::Marks;
    assert_eq!(Marks::Numbered.rows(2, 3, ""), "($1, $2, $3), ($4, $5, $6)");
    assert_eq!(Marks::Anonymous.rows(2, 1, ", 0"), "(?, 0), (?, 0)");
    let sizes: Vec<usize> = super::chunks(&[0; 600]).map(<[i32]>::len).collect();
    assert_eq!(sizes, [256, 256, 64, 16, 8]);
}
