//! Numbered schema migrations, windmill's model: each change to a schema is one SQL file,
//! `migrations/NNNN_what.sql`, never edited once released. A database records in
//! `PRAGMA user_version` how many it has; opening it applies the rest in order, each in its own
//! transaction with the version it brings, so a crash leaves the database at one version or the
//! next. A database with a version this build does not know (written by a newer release) is
//! refused, never guessed at.
//!
//! Databases made before numbered migrations have version 0 and some of the changes already;
//! the first migrations are written to be harmless there (`CREATE TABLE IF NOT EXISTS`), and a
//! change SQL cannot make conditional (SQLite has no `ADD COLUMN IF NOT EXISTS`) says how to
//! recognise it with [`Migration::present_if`].

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use super::SqliteError;

/// One change to a schema.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Migration {
    /// `NNNN_what.sql`: the database has version NNNN once it is applied.
    file: &'static str,
    sql: &'static str,
    /// A query that returns a row when the change is already in the database.
    present_if: Option<&'static str>,
}

impl Migration {
    /// The change in `file`, whose text is `sql` (`include_str!` of the file).
    pub(crate) const fn new(file: &'static str, sql: &'static str) -> Self {
        Self {
            file,
            sql,
            present_if: None,
        }
    }

    /// For a change a database made before numbered migrations may already have: when `query`
    /// returns a row, the change is recorded as applied without running it.
    pub(crate) const fn present_if(self, query: &'static str) -> Self {
        Self {
            present_if: Some(query),
            ..self
        }
    }
}

/// The migrations of one database, in order.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Schema {
    migrations: &'static [Migration],
}

impl Schema {
    /// Panics (at compile time, in a `const`) unless the files are numbered 0001, 0002, … in
    /// order, so a version always means the same list of changes.
    pub(crate) const fn new(migrations: &'static [Migration]) -> Self {
        let mut index = 0;
        while index < migrations.len() {
            if file_number(migrations[index].file) != index + 1 {
                panic!(
                    "migration files are named NNNN_what.sql and numbered 0001, 0002, … in order"
                );
            }
            index += 1;
        }
        Self { migrations }
    }

    /// The version a database has once every migration is applied.
    pub(crate) const fn version(&self) -> usize {
        self.migrations.len()
    }
}

/// The number in `NNNN_what.sql`, or 0 if the name has another shape.
const fn file_number(file: &str) -> usize {
    let bytes = file.as_bytes();
    if bytes.len() < 5 || bytes[4] != b'_' {
        return 0;
    }
    let mut number = 0;
    let mut index = 0;
    while index < 4 {
        let digit = bytes[index];
        if !digit.is_ascii_digit() {
            return 0;
        }
        number = number * 10 + (digit - b'0') as usize;
        index += 1;
    }
    number
}

/// Brings the database at `path` to the latest version of `schema`.
pub(super) fn apply(db: &mut Connection, path: &Path, schema: &Schema) -> Result<(), SqliteError> {
    let found = user_version(db).map_err(|source| SqliteError::Open {
        path: path.to_owned(),
        source,
    })?;
    // Most opens find the database up to date and take no write lock.
    if checked(found, path, schema)? == schema.version() {
        return Ok(());
    }
    for (index, migration) in schema.migrations.iter().enumerate() {
        let failed = |source| SqliteError::Migration {
            path: path.to_owned(),
            file: migration.file,
            source,
        };
        // IMMEDIATE takes the write lock before the version is read: another process migrating
        // the same file waits here, then finds this migration applied.
        let tx = db
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(failed)?;
        let version = index + 1;
        if checked(user_version(&tx).map_err(failed)?, path, schema)? >= version {
            continue;
        }
        let present = match migration.present_if {
            Some(query) => tx.prepare(query).and_then(|mut found| found.exists([])),
            None => Ok(false),
        }
        .map_err(failed)?;
        if !present {
            tx.execute_batch(migration.sql).map_err(failed)?;
        }
        tx.pragma_update(None, "user_version", version as i64)
            .map_err(failed)?;
        tx.commit().map_err(failed)?;
    }
    Ok(())
}

fn user_version(db: &Connection) -> rusqlite::Result<i64> {
    db.pragma_query_value(None, "user_version", |row| row.get(0))
}

/// `found` as a version of `schema`, or the refusal of one it does not know.
fn checked(found: i64, path: &Path, schema: &Schema) -> Result<usize, SqliteError> {
    usize::try_from(found)
        .ok()
        .filter(|version| *version <= schema.version())
        .ok_or_else(|| SqliteError::UnknownVersion {
            path: path.to_owned(),
            found,
            known: schema.version(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sqlite::{fresh_path, open};

    /// Each migration notes in `ran` that it ran, so a test sees which ran and how often.
    const FIRST: Migration = Migration::new(
        "0001_initial.sql",
        "CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
         CREATE TABLE IF NOT EXISTS ran (file TEXT NOT NULL);
         INSERT INTO ran (file) VALUES ('0001');",
    );
    const SECOND: Migration = Migration::new(
        "0002_item_size.sql",
        "ALTER TABLE items ADD COLUMN size INTEGER NOT NULL DEFAULT 0;
         INSERT INTO ran (file) VALUES ('0002');",
    )
    .present_if("SELECT 1 FROM pragma_table_info('items') WHERE name = 'size'");
    /// Needs the column the second one adds: it only works after it.
    const THIRD: Migration = Migration::new(
        "0003_sizes.sql",
        "UPDATE items SET size = length(name);
         INSERT INTO ran (file) VALUES ('0003');",
    );
    const V1: Schema = Schema::new(&[FIRST]);
    const V2: Schema = Schema::new(&[FIRST, SECOND]);
    const V3: Schema = Schema::new(&[FIRST, SECOND, THIRD]);

    fn version(db: &Connection) -> i64 {
        user_version(db).unwrap()
    }

    fn ran(db: &Connection) -> Vec<String> {
        db.prepare("SELECT file FROM ran ORDER BY rowid")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn a_new_database_gets_every_migration_in_order() {
        let db = open(&fresh_path("new.db"), &V3).unwrap();
        assert_eq!(version(&db), 3);
        assert_eq!(ran(&db), ["0001", "0002", "0003"]);
    }

    #[test]
    fn migrations_run_once_and_only_the_new_ones_run_on_an_older_database() {
        let path = fresh_path("growing.db");
        drop(open(&path, &V1).unwrap());
        drop(open(&path, &V1).unwrap());
        let db = open(&path, &V3).unwrap();
        drop(db);
        let db = open(&path, &V3).unwrap();
        assert_eq!(version(&db), 3);
        assert_eq!(ran(&db), ["0001", "0002", "0003"]);
    }

    #[test]
    fn rows_survive_the_migrations_that_follow_them() {
        let path = fresh_path("rows.db");
        let db = open(&path, &V1).unwrap();
        db.execute_batch("INSERT INTO items (name) VALUES ('kept'), ('also kept');")
            .unwrap();
        drop(db);
        let db = open(&path, &V3).unwrap();
        let items: Vec<(String, i64)> = db
            .prepare("SELECT name, size FROM items ORDER BY id")
            .unwrap()
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(items, [("kept".to_owned(), 4), ("also kept".to_owned(), 9)]);
    }

    #[test]
    fn a_database_newer_than_the_code_is_refused_naming_the_file_and_its_version() {
        let path = fresh_path("newer.db");
        drop(open(&path, &V3).unwrap());
        let error = open(&path, &V2).unwrap_err();
        assert!(
            matches!(
                error,
                SqliteError::UnknownVersion {
                    found: 3,
                    known: 2,
                    ..
                }
            ),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            format!(
                "{} has schema version 3, which this ml-connector does not know (it knows \
                 versions up to 2): a newer release wrote it. Run that release, or restore a copy \
                 of the file made before the upgrade",
                path.display()
            )
        );
        let db = open(&path, &V3).unwrap();
        assert_eq!(
            ran(&db),
            ["0001", "0002", "0003"],
            "the refusal changed nothing"
        );
    }

    #[test]
    fn a_negative_version_is_refused() {
        let path = fresh_path("negative.db");
        let db = open(&path, &V1).unwrap();
        db.pragma_update(None, "user_version", -1).unwrap();
        drop(db);
        let error = open(&path, &V3).unwrap_err();
        assert!(
            matches!(
                error,
                SqliteError::UnknownVersion {
                    found: -1,
                    known: 3,
                    ..
                }
            ),
            "{error:?}"
        );
    }

    #[test]
    fn a_failing_migration_leaves_the_version_before_it_and_names_its_file() {
        const BROKEN: Migration = Migration::new(
            "0002_broken.sql",
            "ALTER TABLE items ADD COLUMN size INTEGER;
             INSERT INTO no_such_table VALUES (1);",
        );
        const BROKEN_V2: Schema = Schema::new(&[FIRST, BROKEN]);
        let path = fresh_path("broken.db");
        let error = open(&path, &BROKEN_V2).unwrap_err();
        assert!(
            error.to_string().starts_with(&format!(
                "{}: migration 0002_broken.sql failed: no such table: no_such_table",
                path.display()
            )),
            "{error}"
        );
        let db = open(&path, &V1).unwrap();
        assert_eq!(version(&db), 1);
        let size_columns: i64 = db
            .query_row(
                "SELECT COUNT(*) FROM pragma_table_info('items') WHERE name = 'size'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(size_columns, 0, "the half-run migration was rolled back");
        drop(db);
        assert_eq!(version(&open(&path, &V3).unwrap()), 3);
    }

    #[test]
    fn a_change_present_before_numbered_migrations_is_recorded_without_running_again() {
        let path = fresh_path("unnumbered.db");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let old = Connection::open(&path).unwrap();
        old.execute_batch(
            "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, size INTEGER);
             CREATE TABLE ran (file TEXT NOT NULL);
             INSERT INTO items (name, size) VALUES ('older', 3);",
        )
        .unwrap();
        drop(old);
        let db = open(&path, &V3).unwrap();
        assert_eq!(version(&db), 3);
        assert_eq!(
            ran(&db),
            ["0001", "0003"],
            "0002's column was there already"
        );
        let size: i64 = db
            .query_row("SELECT size FROM items WHERE name = 'older'", [], |row| {
                row.get(0)
            })
            .unwrap();
        assert_eq!(size, 5, "the old row is kept, and 0003 ran over it");
    }

    #[test]
    fn file_numbers_are_read_from_the_four_digits_before_the_underscore() {
        assert_eq!(file_number("0001_initial.sql"), 1);
        assert_eq!(file_number("0012_x.sql"), 12);
        assert_eq!(file_number("12_x.sql"), 0);
        assert_eq!(file_number("00a1_x.sql"), 0);
        assert_eq!(file_number("0001-initial.sql"), 0);
        assert_eq!(file_number(""), 0);
    }

    #[test]
    #[should_panic(expected = "numbered 0001, 0002")]
    fn a_schema_with_a_gap_in_its_numbers_is_refused() {
        Schema::new(&[FIRST, THIRD]);
    }
}
