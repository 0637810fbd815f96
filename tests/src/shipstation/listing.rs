//! Query-string handling shared by the list endpoints: parameter names matched case-insensitively,
//! typed lookups, Pacific-local date ranges (`…Start`/`…End`, both inclusive) and paging.

use chrono::NaiveDateTime;

use super::pacific::parse_filter;

/// The query parameters of one request, names lower-cased.
#[derive(Debug, Default)]
pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn new(pairs: Vec<(String, String)>) -> Self {
        Self(
            pairs
                .into_iter()
                .map(|(name, value)| (name.to_ascii_lowercase(), value))
                .collect(),
        )
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.0
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.as_str())
            .filter(|value| !value.is_empty())
    }

    pub fn u64(&self, name: &str) -> Result<Option<u64>, String> {
        self.get(name)
            .map(|value| {
                value
                    .parse()
                    .map_err(|_| format!("The value '{value}' is not valid for {name}."))
            })
            .transpose()
    }

    /// `true`/`True`/`TRUE`.
    pub fn flag(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|value| value.eq_ignore_ascii_case("true"))
    }

    /// `{prefix}Start` and `{prefix}End` as a Pacific-local range.
    pub fn range(&self, prefix: &str) -> Result<Range, String> {
        let bound = |suffix: &str| {
            let name = format!("{prefix}{suffix}");
            self.get(&name)
                .map(|value| {
                    parse_filter(value)
                        .ok_or_else(|| format!("The value '{value}' is not valid for {name}."))
                })
                .transpose()
        };
        Ok(Range {
            start: bound("Start")?,
            end: bound("End")?,
        })
    }

    /// The page (from 1) and page size asked for, within `max_size`.
    pub fn paging(
        &self,
        page_name: &str,
        size_name: &str,
        default_size: u64,
        max_size: u64,
    ) -> Result<(u64, u64), String> {
        let page = self.u64(page_name)?.unwrap_or(1).max(1);
        let size = self.u64(size_name)?.unwrap_or(default_size);
        if size == 0 || size > max_size {
            return Err(format!("{size_name} must be between 1 and {max_size}."));
        }
        Ok((page, size))
    }

    /// Whether `sortDir`-like parameter `name` asks for descending order.
    pub fn descending(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|value| value.eq_ignore_ascii_case("desc"))
    }
}

/// An inclusive range of Pacific local times; open where a bound is missing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Range {
    pub start: Option<NaiveDateTime>,
    pub end: Option<NaiveDateTime>,
}

impl Range {
    pub fn is_open(&self) -> bool {
        self.start.is_none() && self.end.is_none()
    }

    pub fn contains(&self, at: NaiveDateTime) -> bool {
        self.start.is_none_or(|start| at >= start) && self.end.is_none_or(|end| at <= end)
    }

    /// Compares dates only (for bare ship dates).
    pub fn contains_date(&self, at: NaiveDateTime) -> bool {
        self.start.is_none_or(|start| at.date() >= start.date())
            && self.end.is_none_or(|end| at.date() <= end.date())
    }
}

/// One page of `items`: the page's items, the total and the page count.
pub fn page_of<T>(items: Vec<T>, page: u64, size: u64) -> (Vec<T>, u64, u64) {
    let total = items.len() as u64;
    let pages = total.div_ceil(size);
    let skip = usize::try_from((page - 1) * size).unwrap_or(usize::MAX);
    let rows = items.into_iter().skip(skip).take(size as usize).collect();
    (rows, total, pages)
}
