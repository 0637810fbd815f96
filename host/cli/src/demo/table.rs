//! A plain-text table for the demo's reports: a header, rows, an optional totals row under a rule,
//! columns as wide as their widest cell, numbers right-aligned.

use std::fmt::Write;

/// How a column aligns its cells.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

pub struct Table {
    headers: Vec<(String, Align)>,
    rows: Vec<Vec<String>>,
    total: Option<Vec<String>>,
}

impl Table {
    /// Columns as (header, alignment).
    pub fn new(headers: &[(&str, Align)]) -> Self {
        Self {
            headers: headers
                .iter()
                .map(|(name, align)| ((*name).to_owned(), *align))
                .collect(),
            rows: Vec::new(),
            total: None,
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// A last row, set off by a rule.
    pub fn total(&mut self, cells: Vec<String>) {
        self.total = Some(cells);
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The table, each line indented by `indent` spaces and ending in a newline.
    pub fn render(&self, indent: usize) -> String {
        let mut widths: Vec<usize> = self
            .headers
            .iter()
            .map(|(name, _)| name.chars().count())
            .collect();
        for row in self.rows.iter().chain(&self.total) {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let mut out = String::new();
        let headers: Vec<String> = self.headers.iter().map(|(name, _)| name.clone()).collect();
        self.line(&mut out, indent, &widths, &headers);
        for row in &self.rows {
            self.line(&mut out, indent, &widths, row);
        }
        if let Some(total) = &self.total {
            let rule: Vec<String> = widths.iter().map(|width| "─".repeat(*width)).collect();
            self.line(&mut out, indent, &widths, &rule);
            self.line(&mut out, indent, &widths, total);
        }
        out
    }

    fn line(&self, out: &mut String, indent: usize, widths: &[usize], cells: &[String]) {
        let mut line = " ".repeat(indent);
        for (index, ((_, align), width)) in self.headers.iter().zip(widths).enumerate() {
            let cell = cells.get(index).map(String::as_str).unwrap_or("");
            let pad = " ".repeat(width.saturating_sub(cell.chars().count()));
            if index > 0 {
                line.push_str("  ");
            }
            match align {
                Align::Left => {
                    line.push_str(cell);
                    line.push_str(&pad);
                }
                Align::Right => {
                    line.push_str(&pad);
                    line.push_str(cell);
                }
            }
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
}
