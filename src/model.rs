//! The data model: attribute tables, zone layers (polygons) and point layers, all in WGS84.

use crate::error::Problem;
use crate::value::{Missing, Value, ValueRef};
use geo::{BoundingRect, MultiPolygon, Point, Rect};
use std::path::PathBuf;

/// The type of an attribute column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum FieldKind {
    /// Every present value is a number.
    Number,
    /// Text, codes included.
    Text,
}

impl FieldKind {
    /// The name shown to the user.
    pub fn label(self) -> &'static str {
        match self {
            FieldKind::Number => "nombre",
            FieldKind::Text => "texte",
        }
    }
}

/// One attribute column.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// The column name as in the source.
    pub name: String,
    /// Its type.
    pub kind: FieldKind,
    /// One value per row, stored by type (see [`Column`]).
    pub values: Column,
}

impl Field {
    /// The number of values of each missing reason.
    pub fn missing_counts(&self) -> Vec<(Missing, usize)> {
        let mut counts: Vec<(Missing, usize)> = Vec::new();
        for m in self.values.iter().filter_map(ValueRef::missing) {
            match counts.iter_mut().find(|(k, _)| *k == m) {
                Some((_, n)) => *n += 1,
                None => counts.push((m, 1)),
            }
        }
        counts.sort();
        counts
    }
}

/// The values of one attribute column, stored by type: numbers as `f64`, text interned in one
/// buffer (each distinct string once, a 4-byte code per row), and beside them one byte per row
/// telling whether the value is missing and why. A million-row column of numbers costs 9 MB;
/// one of commune codes, 4 MB plus the distinct codes. Values are read through [`ValueRef`].
#[derive(Clone, Debug, Default)]
pub struct Column {
    /// Per row: `Some(reason)` when the value is missing (its slot in `data` is then unused).
    missing: Vec<Option<Missing>>,
    data: ColumnData,
}

#[derive(Clone, Debug)]
enum ColumnData {
    /// Numbers (0 where missing).
    Numbers(Vec<f64>),
    /// Interned text (code 0 where missing, never read).
    Texts(TextStore),
    /// A column built by hand that mixes numbers and text, kept value by value.
    Mixed(Vec<Value>),
}

impl Default for ColumnData {
    fn default() -> Self {
        ColumnData::Numbers(Vec::new())
    }
}

/// Distinct strings in one buffer and one code per row.
#[derive(Clone, Debug, Default)]
struct TextStore {
    buffer: String,
    /// The start of each distinct string in `buffer`; it ends where the next one starts.
    starts: Vec<u32>,
    /// The code of each row, unless `identity`.
    codes: Vec<u32>,
    /// Row `i` holds distinct string `i` (a column of all-different values, names or
    /// identifiers, with none missing): `codes` is left empty.
    identity: bool,
}

impl TextStore {
    fn distinct(&self, code: u32) -> Option<&str> {
        let i = code as usize;
        let start = *self.starts.get(i)? as usize;
        let end = self
            .starts
            .get(i + 1)
            .map_or(self.buffer.len(), |&e| e as usize);
        self.buffer.get(start..end)
    }

    /// The code of row `row`.
    fn code(&self, row: usize) -> Option<u32> {
        if self.identity {
            u32::try_from(row).ok()
        } else {
            self.codes.get(row).copied()
        }
    }

    /// Writes the codes out (`identity` off), for a column about to hold a missing value or a
    /// repeated one; `rows` is the number of rows so far.
    fn materialize(&mut self, rows: usize) {
        if self.identity {
            self.codes = (0..rows).map(|i| u32::try_from(i).unwrap_or(0)).collect();
            self.identity = false;
        }
    }

    /// Appends a distinct string, returning its code (`None` past 4 GiB of distinct text or
    /// 4 billion distinct strings: the column is then kept value by value).
    fn add_distinct(&mut self, text: &str) -> Option<u32> {
        let code = u32::try_from(self.starts.len()).ok()?;
        let start = u32::try_from(self.buffer.len()).ok()?;
        u32::try_from(self.buffer.len() + text.len()).ok()?;
        self.starts.push(start);
        self.buffer.push_str(text);
        Some(code)
    }
}

impl Column {
    /// An empty column.
    pub fn new() -> Column {
        Column::default()
    }

    /// A column of numbers (`None`: missing for the reason given).
    pub fn from_numbers(values: impl IntoIterator<Item = Result<f64, Missing>>) -> Column {
        let mut missing = Vec::new();
        let mut numbers = Vec::new();
        for v in values {
            match v {
                Ok(x) => {
                    missing.push(None);
                    numbers.push(x);
                }
                Err(m) => {
                    missing.push(Some(m));
                    numbers.push(0.0);
                }
            }
        }
        Column {
            missing,
            data: ColumnData::Numbers(numbers),
        }
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        match &self.data {
            ColumnData::Mixed(v) => v.len(),
            _ => self.missing.len(),
        }
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value at `row`.
    pub fn get(&self, row: usize) -> Option<ValueRef<'_>> {
        match &self.data {
            ColumnData::Mixed(v) => v.get(row).map(Value::view),
            ColumnData::Numbers(numbers) => match self.missing.get(row)? {
                Some(m) => Some(ValueRef::Missing(*m)),
                None => numbers.get(row).map(|x| ValueRef::Number(*x)),
            },
            ColumnData::Texts(store) => match self.missing.get(row)? {
                Some(m) => Some(ValueRef::Missing(*m)),
                None => store
                    .code(row)
                    .and_then(|c| store.distinct(c))
                    .map(ValueRef::Text),
            },
        }
    }

    /// The first value.
    pub fn first(&self) -> Option<ValueRef<'_>> {
        self.get(0)
    }

    /// The values in row order.
    pub fn iter(&self) -> ColumnIter<'_> {
        ColumnIter {
            column: self,
            next: 0,
            end: self.len(),
        }
    }

    /// The values as owned [`Value`]s (for code that rebuilds a column).
    pub fn to_values(&self) -> Vec<Value> {
        self.iter().map(ValueRef::to_value).collect()
    }

    /// The numbers of a column stored as numbers, with the missing mask (`Some(reason)` where
    /// missing; the number there is 0 and means nothing).
    pub fn numbers(&self) -> Option<(&[f64], &[Option<Missing>])> {
        match &self.data {
            ColumnData::Numbers(n) => Some((n, &self.missing)),
            _ => None,
        }
    }

    /// Appends a value.
    pub fn push(&mut self, value: Value) {
        match (&mut self.data, value) {
            (ColumnData::Mixed(v), value) => v.push(value),
            (ColumnData::Numbers(n), Value::Number(x)) => {
                n.push(x);
                self.missing.push(None);
            }
            (ColumnData::Numbers(n), Value::Missing(m)) => {
                n.push(0.0);
                self.missing.push(Some(m));
            }
            (ColumnData::Texts(store), Value::Missing(m)) => {
                store.materialize(self.missing.len());
                store.codes.push(0);
                self.missing.push(Some(m));
            }
            (ColumnData::Texts(store), Value::Text(t)) => {
                store.materialize(self.missing.len());
                match store.add_distinct(&t) {
                    Some(code) => {
                        store.codes.push(code);
                        self.missing.push(None);
                    }
                    None => self.with_mixed(|v| v.push(Value::Text(t))),
                }
            }
            (ColumnData::Numbers(_), Value::Text(t))
                if self.missing.iter().all(Option::is_some) =>
            {
                // Only missing values so far: the column becomes a text column.
                let mut store = TextStore {
                    codes: vec![0; self.missing.len()],
                    ..TextStore::default()
                };
                match store.add_distinct(&t) {
                    Some(code) => {
                        store.codes.push(code);
                        self.missing.push(None);
                        self.data = ColumnData::Texts(store);
                    }
                    None => self.with_mixed(|v| v.push(Value::Text(t))),
                }
            }
            (_, value) => self.with_mixed(|v| v.push(value)),
        }
    }

    /// Replaces the value at `row` (nothing happens past the end).
    pub fn set(&mut self, row: usize, value: Value) {
        if row >= self.len() {
            return;
        }
        match (&mut self.data, value) {
            (ColumnData::Mixed(v), value) => {
                if let Some(slot) = v.get_mut(row) {
                    *slot = value;
                }
            }
            (data, Value::Missing(m)) => {
                if let ColumnData::Texts(store) = data {
                    store.materialize(self.missing.len());
                }
                if let Some(slot) = self.missing.get_mut(row) {
                    *slot = Some(m);
                }
            }
            (ColumnData::Numbers(n), Value::Number(x)) => {
                if let (Some(slot), Some(miss)) = (n.get_mut(row), self.missing.get_mut(row)) {
                    *slot = x;
                    *miss = None;
                }
            }
            (ColumnData::Texts(store), Value::Text(t)) => {
                store.materialize(self.missing.len());
                if let Some(code) = store.add_distinct(&t)
                    && let (Some(slot), Some(miss)) =
                        (store.codes.get_mut(row), self.missing.get_mut(row))
                {
                    *slot = code;
                    *miss = None;
                }
            }
            (_, value) => {
                self.with_mixed(|v| {
                    if let Some(slot) = v.get_mut(row) {
                        *slot = value;
                    }
                });
            }
        }
    }

    /// Turns the storage into one value per row (for a column mixing numbers and text) and
    /// applies `change` to the values.
    fn with_mixed(&mut self, change: impl FnOnce(&mut Vec<Value>)) {
        let mut values = match std::mem::take(&mut self.data) {
            ColumnData::Mixed(v) => v,
            other => Column {
                missing: std::mem::take(&mut self.missing),
                data: other,
            }
            .to_values(),
        };
        change(&mut values);
        self.missing = Vec::new();
        self.data = ColumnData::Mixed(values);
    }
}

impl PartialEq for Column {
    fn eq(&self, other: &Column) -> bool {
        self.len() == other.len() && self.iter().zip(other.iter()).all(|(a, b)| a == b)
    }
}

impl FromIterator<Value> for Column {
    fn from_iter<I: IntoIterator<Item = Value>>(iter: I) -> Column {
        let mut builder = ColumnBuilder::default();
        for v in iter {
            builder.push(v.view());
        }
        builder.finish()
    }
}

impl<'a> FromIterator<ValueRef<'a>> for Column {
    fn from_iter<I: IntoIterator<Item = ValueRef<'a>>>(iter: I) -> Column {
        let mut builder = ColumnBuilder::default();
        for v in iter {
            builder.push(v);
        }
        builder.finish()
    }
}

impl From<Vec<Value>> for Column {
    fn from(values: Vec<Value>) -> Column {
        values.into_iter().collect()
    }
}

impl<'a> IntoIterator for &'a Column {
    type Item = ValueRef<'a>;
    type IntoIter = ColumnIter<'a>;
    fn into_iter(self) -> ColumnIter<'a> {
        self.iter()
    }
}

/// The values of a [`Column`] in row order.
#[derive(Clone, Debug)]
pub struct ColumnIter<'a> {
    column: &'a Column,
    next: usize,
    end: usize,
}

impl<'a> Iterator for ColumnIter<'a> {
    type Item = ValueRef<'a>;
    fn next(&mut self) -> Option<ValueRef<'a>> {
        if self.next >= self.end {
            return None;
        }
        let v = self.column.get(self.next);
        self.next += 1;
        v
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.end.saturating_sub(self.next);
        (n, Some(n))
    }

    fn nth(&mut self, n: usize) -> Option<ValueRef<'a>> {
        self.next = self.next.saturating_add(n);
        self.next()
    }
}

impl DoubleEndedIterator for ColumnIter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.next >= self.end {
            return None;
        }
        self.end -= 1;
        self.column.get(self.end)
    }
}

impl ExactSizeIterator for ColumnIter<'_> {}

/// Text values looked at before deciding whether a column is worth interning.
const INTERN_SAMPLE: usize = 4096;

/// Builds a [`Column`] value by value, interning text as it comes (each distinct string is
/// stored once): the importers' way to fill a column without one allocation per cell. Only
/// the storage of the kind met is allocated.
#[derive(Debug, Default)]
pub struct ColumnBuilder {
    missing: Vec<Option<Missing>>,
    /// Filled once a number is met (zeros for the missing values before it).
    numbers: Option<Vec<f64>>,
    /// Filled once a text is met (code 0 for the missing values before it).
    texts: Option<TextStore>,
    table: hashbrown::HashTable<u32>,
    hasher: hashbrown::DefaultHashBuilder,
    /// Text values pushed so far, to stop interning a column of mostly distinct values.
    texts_pushed: usize,
    /// Set when interning stopped: each text value is then stored as it comes.
    distinct_values: bool,
    /// Set once numbers and text are mixed (or past 4 GiB of distinct text).
    mixed: Option<Vec<Value>>,
}

impl ColumnBuilder {
    /// A builder expecting about `rows` values.
    pub fn with_capacity(rows: usize) -> ColumnBuilder {
        ColumnBuilder {
            missing: Vec::with_capacity(rows),
            ..ColumnBuilder::default()
        }
    }

    /// Appends a missing value.
    pub fn push_missing(&mut self, reason: Missing) {
        if let Some(m) = &mut self.mixed {
            m.push(Value::Missing(reason));
            return;
        }
        self.missing.push(Some(reason));
        if let Some(n) = &mut self.numbers {
            n.push(0.0);
        }
        if let Some(t) = &mut self.texts {
            t.materialize(self.missing.len() - 1);
            t.codes.push(0);
        }
    }

    /// Appends a number.
    pub fn push_number(&mut self, x: f64) {
        if let Some(m) = &mut self.mixed {
            m.push(Value::Number(x));
            return;
        }
        if self.texts.is_some() {
            self.go_mixed().push(Value::Number(x));
            return;
        }
        let rows = self.missing.len();
        let capacity = self.missing.capacity();
        let numbers = self.numbers.get_or_insert_with(|| {
            let mut n = Vec::with_capacity(capacity);
            n.resize(rows, 0.0);
            n
        });
        numbers.push(x);
        self.missing.push(None);
    }

    /// Appends a text value (stored once however many rows hold it).
    pub fn push_text(&mut self, text: &str) {
        if let Some(m) = &mut self.mixed {
            m.push(Value::Text(text.to_owned()));
            return;
        }
        if self.numbers.is_some() {
            self.go_mixed().push(Value::Text(text.to_owned()));
            return;
        }
        match self.intern(text) {
            Some(code) => {
                let row = self.missing.len();
                if let Some(store) = &mut self.texts {
                    if store.identity && code as usize != row {
                        store.materialize(row);
                    }
                    if !store.identity {
                        store.codes.push(code);
                    }
                }
                self.missing.push(None);
            }
            None => self.go_mixed().push(Value::Text(text.to_owned())),
        }
    }

    /// The code of `text` in the text store (created if needed), added if new; `None` past
    /// 4 GiB of distinct text.
    fn intern(&mut self, text: &str) -> Option<u32> {
        let rows = self.missing.len();
        let capacity = self.missing.capacity();
        let store = self.texts.get_or_insert_with(|| {
            if rows == 0 {
                // No row yet: codes are written only once a row breaks the identity.
                return TextStore {
                    identity: true,
                    ..TextStore::default()
                };
            }
            let mut codes = Vec::with_capacity(capacity);
            codes.resize(rows, 0);
            TextStore {
                codes,
                ..TextStore::default()
            }
        });
        self.texts_pushed += 1;
        if self.distinct_values {
            return store.add_distinct(text);
        }
        // Names and identifiers are all different: after a sample, such a column stops
        // looking values up (hashing a million distinct strings costs more than storing them).
        if self.texts_pushed == INTERN_SAMPLE && store.starts.len() * 2 > INTERN_SAMPLE {
            self.distinct_values = true;
            self.table = hashbrown::HashTable::new();
        }
        let hash = std::hash::BuildHasher::hash_one(&self.hasher, text);
        if let Some(&code) = self
            .table
            .find(hash, |&code| store.distinct(code) == Some(text))
        {
            return Some(code);
        }
        let code = store.add_distinct(text)?;
        if !self.distinct_values {
            let (texts, hasher) = (&*store, &self.hasher);
            self.table.insert_unique(hash, code, |&c| {
                std::hash::BuildHasher::hash_one(hasher, texts.distinct(c).unwrap_or(""))
            });
        }
        Some(code)
    }

    /// Appends the values of `other` after this builder's (the parts of a column read in
    /// parallel put back together).
    pub fn append(&mut self, mut other: ColumnBuilder) {
        if self.mixed.is_none() && other.mixed.is_none() {
            match (other.numbers.take(), other.texts.take()) {
                (Some(numbers), None) if self.texts.is_none() => {
                    let rows = self.missing.len();
                    let mine = self.numbers.get_or_insert_with(|| vec![0.0; rows]);
                    mine.extend_from_slice(&numbers);
                    self.missing.extend_from_slice(&other.missing);
                    return;
                }
                (None, Some(store)) if self.numbers.is_none() => {
                    let map: Option<Vec<u32>> = (0..store.starts.len())
                        .map(|c| {
                            let code = u32::try_from(c).ok()?;
                            self.intern(store.distinct(code)?)
                        })
                        .collect();
                    let rows = self.missing.len();
                    if let (Some(map), Some(mine)) = (map, self.texts.as_mut()) {
                        let continues_identity = mine.identity
                            && store.identity
                            && map.iter().enumerate().all(|(i, &c)| c as usize == rows + i);
                        if !continues_identity {
                            mine.materialize(rows);
                            mine.codes
                                .extend(other.missing.iter().enumerate().map(|(row, m)| {
                                    match m {
                                        Some(_) => 0,
                                        None => store
                                            .code(row)
                                            .and_then(|c| map.get(c as usize).copied())
                                            .unwrap_or(0),
                                    }
                                }));
                        }
                        self.missing.extend_from_slice(&other.missing);
                        return;
                    }
                    other.texts = Some(store);
                }
                (None, None) => {
                    for m in other.missing.iter().flatten() {
                        self.push_missing(*m);
                    }
                    return;
                }
                (numbers, texts) => {
                    other.numbers = numbers;
                    other.texts = texts;
                }
            }
        }
        for v in other.finish().iter() {
            self.push(v);
        }
    }

    /// Appends a value.
    pub fn push(&mut self, value: ValueRef<'_>) {
        match value {
            ValueRef::Missing(m) => self.push_missing(m),
            ValueRef::Number(x) => self.push_number(x),
            ValueRef::Text(t) => self.push_text(t),
        }
    }

    fn go_mixed(&mut self) -> &mut Vec<Value> {
        let built = std::mem::take(self).finish();
        self.mixed.insert(built.to_values())
    }

    /// The number of values pushed.
    pub fn len(&self) -> usize {
        self.mixed.as_ref().map_or(self.missing.len(), Vec::len)
    }

    /// Whether nothing was pushed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The column.
    pub fn finish(self) -> Column {
        if let Some(values) = self.mixed {
            return Column {
                missing: Vec::new(),
                data: ColumnData::Mixed(values),
            };
        }
        let data = match (self.texts, self.numbers) {
            (Some(mut texts), _) => {
                texts.buffer.shrink_to_fit();
                texts.starts.shrink_to_fit();
                ColumnData::Texts(texts)
            }
            (None, Some(numbers)) => ColumnData::Numbers(numbers),
            (None, None) => ColumnData::Numbers(vec![0.0; self.missing.len()]),
        };
        Column {
            missing: self.missing,
            data,
        }
    }
}

/// A table of attributes: columns of equal length. Every layer carries one.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    /// The columns.
    pub fields: Vec<Field>,
    /// For each row, where it came from in the source, as a user would find it
    /// (a line number, a spreadsheet row, a record or feature number; 1-based).
    pub row_origin: Vec<u64>,
}

impl Table {
    /// The number of rows.
    pub fn len(&self) -> usize {
        self.row_origin.len()
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.row_origin.is_empty()
    }

    /// The column named `name` (exact match first, then case-insensitive).
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.field_index(name).and_then(|i| self.fields.get(i))
    }

    /// The index of the column named `name` (exact match first, then case-insensitive).
    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name).or_else(|| {
            self.fields
                .iter()
                .position(|f| f.name.trim().eq_ignore_ascii_case(name.trim()))
        })
    }

    /// The column named like the first of `candidates` that the table has (tried in the order
    /// given, each exact then case-insensitive).
    pub fn find_field(&self, candidates: &[&str]) -> Option<&Field> {
        candidates.iter().find_map(|c| self.field(c))
    }

    /// The column names.
    pub fn field_names(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|f| f.name.as_str())
    }

    /// The value of column `field` at `row`, as text for display.
    pub fn text(&self, field: usize, row: usize) -> Option<String> {
        self.fields
            .get(field)
            .and_then(|f| f.values.get(row))
            .map(|v| v.to_string())
    }
}

/// Where a layer or table came from and how it was read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SourceInfo {
    /// The file read.
    pub path: PathBuf,
    /// The format as shown to the user (`Shapefile`, `GeoJSON`, `GeoPackage`, `CSV`, `XLSX`…).
    pub format: String,
    /// The layer or sheet read, for multi-layer files.
    pub layer: Option<String>,
    /// The text encoding, when the format has one.
    pub encoding: Option<String>,
    /// The CRS found in the source (before reprojection to WGS84), as shown to the user.
    pub crs: Option<String>,
    /// Non-fatal problems met while reading.
    pub problems: Vec<Problem>,
}

/// A layer of zones (communes, EPCI…): polygons in WGS84 lon/lat with attributes.
#[derive(Clone, Debug, Default)]
pub struct ZoneLayer {
    /// Where it came from.
    pub source: SourceInfo,
    /// One multipolygon per feature, in WGS84 (x = lon, y = lat). Holes are kept as interiors.
    pub geometries: Vec<MultiPolygon<f64>>,
    /// One row per feature.
    pub attributes: Table,
}

impl ZoneLayer {
    /// The number of zones.
    pub fn len(&self) -> usize {
        self.geometries.len()
    }

    /// Whether the layer is empty.
    pub fn is_empty(&self) -> bool {
        self.geometries.is_empty()
    }

    /// The bounding box of all zones, in degrees.
    pub fn bbox(&self) -> Option<Rect<f64>> {
        union_rects(self.geometries.iter().filter_map(|g| g.bounding_rect()))
    }
}

/// A layer of points (services, town halls…) in WGS84. Rows without a position are kept.
#[derive(Clone, Debug, Default)]
pub struct PointLayer {
    /// Where it came from.
    pub source: SourceInfo,
    /// One optional position per row, WGS84 (x = lon, y = lat).
    pub positions: Vec<Option<Point<f64>>>,
    /// One row per point.
    pub attributes: Table,
}

impl PointLayer {
    /// The number of rows, positioned or not.
    pub fn len(&self) -> usize {
        self.positions.len()
    }

    /// Whether the layer is empty.
    pub fn is_empty(&self) -> bool {
        self.positions.is_empty()
    }

    /// The number of rows without a position.
    pub fn unpositioned(&self) -> usize {
        self.positions.iter().filter(|p| p.is_none()).count()
    }

    /// The bounding box of the positioned points, in degrees.
    pub fn bbox(&self) -> Option<Rect<f64>> {
        union_rects(self.positions.iter().flatten().map(|p| Rect::new(p.0, p.0)))
    }
}

fn union_rects(rects: impl Iterator<Item = Rect<f64>>) -> Option<Rect<f64>> {
    rects.reduce(|a, b| {
        Rect::new(
            geo::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
            geo::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic sequences mixing the cases a column meets: all distinct text (identity),
    /// repeated text (interned), missing values first or in the middle, numbers, a mix.
    fn sequences() -> Vec<Vec<Value>> {
        let text = |s: String| Value::Text(s);
        let n = INTERN_SAMPLE * 3;
        vec![
            (0..n).map(|i| text(format!("S{i:07}"))).collect(),
            (0..n).map(|i| text(format!("theme {}", i % 7))).collect(),
            (0..n)
                .map(|i| {
                    if i % 1000 == 5 {
                        Value::Missing(Missing::Secret)
                    } else {
                        text(format!("nom {i}"))
                    }
                })
                .collect(),
            std::iter::once(Value::Missing(Missing::Empty))
                .chain((0..n).map(|i| text(format!("x{i}"))))
                .collect(),
            (0..n)
                .map(|i| {
                    if i == n / 2 {
                        text(format!("x{}", i - 1))
                    } else {
                        text(format!("x{i}"))
                    }
                })
                .collect(),
            (0..n)
                .map(|i| {
                    if i % 9 == 0 {
                        Value::Missing(Missing::NotAvailable)
                    } else {
                        Value::Number(i as f64 / 3.0)
                    }
                })
                .collect(),
            (0..50)
                .map(|i| {
                    if i % 2 == 0 {
                        Value::Number(f64::from(i))
                    } else {
                        text(format!("{i}"))
                    }
                })
                .collect(),
            vec![Value::Missing(Missing::Empty); 10],
        ]
    }

    #[test]
    fn a_built_column_gives_back_every_value() {
        for values in sequences() {
            let column: Column = values.iter().cloned().collect();
            assert_eq!(column.len(), values.len());
            assert_eq!(column.to_values(), values);
            for cut in [0, 1, values.len() / 3, values.len() / 2, values.len()] {
                let (a, b) = values.split_at(cut);
                let mut first = ColumnBuilder::default();
                a.iter().for_each(|v| first.push(v.view()));
                let mut second = ColumnBuilder::default();
                b.iter().for_each(|v| second.push(v.view()));
                first.append(second);
                assert_eq!(first.finish().to_values(), values, "coupé à {cut}");
            }
        }
    }

    #[test]
    fn distinct_text_keeps_no_codes_and_repeated_text_is_stored_once() {
        let ids: Column = (0..10_000)
            .map(|i| Value::Text(format!("S{i:07}")))
            .collect();
        match &ids.data {
            ColumnData::Texts(store) => assert!(store.identity && store.codes.is_empty()),
            other => panic!("stockage inattendu : {other:?}"),
        }
        let themes: Column = (0..10_000)
            .map(|i| Value::Text(format!("thème {}", i % 3)))
            .collect();
        match &themes.data {
            ColumnData::Texts(store) => {
                assert_eq!(store.starts.len(), 3);
                assert_eq!(store.buffer, "thème 0thème 1thème 2");
            }
            other => panic!("stockage inattendu : {other:?}"),
        }
    }

    #[test]
    fn set_and_push_change_one_value() {
        for values in sequences() {
            let mut column: Column = values.iter().cloned().collect();
            let mut expected = values.clone();
            for (row, v) in [
                (0, Value::Missing(Missing::Secret)),
                (3, Value::Text("nouveau".into())),
                (5, Value::Number(2.5)),
            ] {
                if row < expected.len() {
                    column.set(row, v.clone());
                    expected[row] = v;
                }
            }
            column.push(Value::Text("fin".into()));
            expected.push(Value::Text("fin".into()));
            assert_eq!(column.to_values(), expected);
        }
    }
}
