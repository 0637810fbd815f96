//! API sessions: opened by `getAPISession`, bound to the (sender, company) that opened them, and
//! expiring a fixed time after their last use on the simulator's clock (sliding).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand::distr::Alphanumeric;

#[derive(Clone, Debug)]
pub struct Session {
    pub id: String,
    pub sender_id: String,
    pub company_id: String,
    pub user_id: String,
    pub location_id: Option<String>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug)]
pub struct SessionStore {
    sessions: HashMap<String, Session>,
    timeout: Duration,
}

impl SessionStore {
    pub fn new(timeout: Duration) -> Self {
        Self {
            sessions: HashMap::new(),
            timeout,
        }
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    pub fn open(
        &mut self,
        sender_id: &str,
        company_id: &str,
        user_id: &str,
        location_id: Option<String>,
        now: DateTime<Utc>,
    ) -> Session {
        let token: String = rand::rng()
            .sample_iter(Alphanumeric)
            .take(30)
            .map(char::from)
            .collect();
        let session = Session {
            id: format!("{token}.."),
            sender_id: sender_id.to_owned(),
            company_id: company_id.to_owned(),
            user_id: user_id.to_owned(),
            location_id,
            expires_at: now + self.timeout,
        };
        self.sessions.insert(session.id.clone(), session.clone());
        session
    }

    /// The live session `id` of `sender_id`, its expiry moved to `now` + timeout. Expired sessions go.
    pub fn touch(&mut self, id: &str, sender_id: &str, now: DateTime<Utc>) -> Option<Session> {
        self.sessions.retain(|_, session| session.expires_at > now);
        let session = self
            .sessions
            .get_mut(id)
            .filter(|session| session.sender_id == sender_id)?;
        session.expires_at = now + self.timeout;
        Some(session.clone())
    }

    /// The company session `id` was opened in, expired or not; none for an unknown session.
    pub fn company_of(&self, id: &str) -> Option<&str> {
        self.sessions
            .get(id)
            .map(|session| session.company_id.as_str())
    }

    /// Ends every session.
    pub fn clear(&mut self) {
        self.sessions.clear();
    }
}
