//! Tabular data: CSV with a header row, numeric columns and an optional label column.

use std::path::Path;

use crate::{DataError, Examples, Result};

/// Column names guessed as the label when none is named.
const LABEL_NAMES: [&str; 4] = ["label", "class", "target", "diagnosis"];

/// Reads a CSV file: every column but the label column must hold finite numbers.
///
/// `label_column` names the label column; `None` picks a column called `label`, `class`,
/// `target` or `diagnosis` if there is one. Labels are class names (any text): they are
/// numbered in sorted order, at most 256 of them.
pub fn read_csv(path: &Path, label_column: Option<&str>) -> Result<Examples> {
    let bad = |why: String| DataError::BadFile {
        path: path.to_path_buf(),
        why,
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| io_or_bad(path, e))?;
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| io_or_bad(path, e))?
        .iter()
        .map(str::to_owned)
        .collect();
    if header.is_empty() || header.iter().all(String::is_empty) {
        return Err(bad(
            "no header row (the first line must name the columns)".into()
        ));
    }
    let label = match label_column {
        Some(name) => Some(header.iter().position(|h| h == name).ok_or_else(|| {
            bad(format!(
                "no column named `{name}` (columns: {})",
                header.join(", ")
            ))
        })?),
        None => header
            .iter()
            .position(|h| LABEL_NAMES.contains(&h.to_ascii_lowercase().as_str())),
    };
    let dim = header.len() - usize::from(label.is_some());
    if dim == 0 {
        return Err(bad("no numeric columns besides the label".into()));
    }

    let mut values = Vec::new();
    let mut label_text = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| io_or_bad(path, e))?;
        let line = record.position().map_or(0, |p| p.line());
        for (j, cell) in record.iter().enumerate() {
            if Some(j) == label {
                label_text.push(cell.to_owned());
                continue;
            }
            let cell_error = |why: String| DataError::BadCell {
                path: path.to_path_buf(),
                line,
                column: header[j].clone(),
                why,
            };
            let v: f32 = cell
                .parse()
                .map_err(|_| cell_error(format!("`{cell}` is not a number")))?;
            if !v.is_finite() {
                return Err(cell_error(format!(
                    "`{cell}` is not finite (NaN and infinities are refused)"
                )));
            }
            values.push(v);
        }
    }
    if values.is_empty() {
        return Err(bad("no data rows after the header".into()));
    }
    let (labels, names) = match label {
        Some(_) => {
            let mut names = label_text.clone();
            names.sort();
            names.dedup();
            if names.len() > 256 {
                return Err(bad(format!(
                    "the label column has {} distinct values; at most 256 classes are supported",
                    names.len()
                )));
            }
            let labels = label_text
                .iter()
                .map(|t| names.binary_search(t).map_or(0, |k| k as u8))
                .collect();
            (Some(labels), Some(names))
        }
        None => (None, None),
    };
    let mut examples = Examples::from_reals(values, dim, labels).with_source(path);
    if let Some(names) = names {
        examples = examples.with_label_names(names);
    }
    Ok(examples)
}

/// csv's errors, mapped to ours with the file named (ragged rows keep their line numbers).
fn io_or_bad(path: &Path, e: csv::Error) -> DataError {
    let line = e.position().map(|p| p.line());
    match e.into_kind() {
        csv::ErrorKind::Io(source) => DataError::Io {
            path: path.to_path_buf(),
            source,
        },
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => DataError::BadFile {
            path: path.to_path_buf(),
            why: format!(
                "line {}: {len} fields where the header has {expected_len}",
                line.unwrap_or(0)
            ),
        },
        csv::ErrorKind::Utf8 { .. } => DataError::BadFile {
            path: path.to_path_buf(),
            why: format!("line {}: not UTF-8 text", line.unwrap_or(0)),
        },
        other => DataError::BadFile {
            path: path.to_path_buf(),
            why: format!("not a readable CSV file ({other:?})"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, text: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("vae-table-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write");
        path
    }

    #[test]
    fn reads_numbers_and_text_labels() {
        let path = write("ok.csv", "a, b ,kind\n1,2.5,dog\n-3,4e2,cat\n0,0,dog\n");
        let e = read_csv(&path, None).expect_err("`kind` is no known label name");
        assert!(
            e.to_string()
                .contains("column `kind`: `dog` is not a number"),
            "{e}"
        );
        let t = read_csv(&path, Some("kind")).expect("reads");
        assert_eq!((t.len(), t.dim()), (3, 2));
        assert_eq!(t.raw(1), vec![-3.0, 400.0]);
        assert_eq!(
            t.label_names(),
            Some(&["cat".to_string(), "dog".into()][..])
        );
        assert_eq!((t.label(0), t.label(1)), (Some(1), Some(0)));
    }

    #[test]
    fn bad_tables_name_file_line_and_column() {
        let cases = [
            (
                "text.csv",
                "a,b\n1,2\n3,x\n",
                "line 3, column `b`: `x` is not a number",
            ),
            (
                "nan.csv",
                "a,b\n1,NaN\n",
                "line 2, column `b`: `NaN` is not finite",
            ),
            ("inf.csv", "a,b\ninf,1\n", "column `a`: `inf` is not finite"),
            (
                "ragged.csv",
                "a,b\n1,2\n3\n",
                "line 3: 1 fields where the header has 2",
            ),
            ("empty.csv", "a,b\n", "no data rows"),
            ("blank.csv", "", "no header row"),
        ];
        for (name, text, expected) in cases {
            let path = write(name, text);
            let e = read_csv(&path, None).expect_err(name).to_string();
            assert!(e.contains(expected), "{name}: {e}");
            assert!(e.contains(name), "{name}: {e}");
        }
        let path = write("nolabel.csv", "a,b\n1,2\n");
        let e = read_csv(&path, Some("class")).expect_err("no such column");
        assert!(e.to_string().contains("no column named `class`"), "{e}");
    }
}
