//! "Also open by …": who has an add-on's review open, as two reviewers' apps see it through
//! the real server, and how a presence expires.

use crate::common;

use vetter_client::presence;
use vetter_protocol::auth::Credentials;
use vetter_server::storage::Profile;

const TAB_TIDY: i64 = 101;
const FOCUS_TIMER: i64 = 102;

fn demo() -> Credentials {
    Credentials::new("user:4242:1", "demo-secret-4242-not-for-production")
}

fn second() -> Credentials {
    Credentials::new("user:4343:1", "demo-secret-4343-not-for-production")
}

#[test]
fn two_reviewers_see_each_other_on_the_same_addon_and_never_themselves() {
    let tmp = tempfile::tempdir().unwrap();
    let (child, url) = common::spawn_server(tmp.path(), &common::demo_dir());
    let _server = common::Running(child);
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let alone = presence::touch(&url, &demo(), TAB_TIDY).await.unwrap();
        assert_eq!(alone.addon_id, TAB_TIDY);
        assert!(alone.others.is_empty(), "{alone:?}");
        assert!(alone.interval_seconds > 0);

        let both = presence::touch(&url, &second(), TAB_TIDY).await.unwrap();
        let names: Vec<&str> = both.others.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["Demo Reviewer"]);
        assert_eq!(both.others[0].user_id, 4242);
        // A renewal is one row, not two.
        presence::touch(&url, &demo(), TAB_TIDY).await.unwrap();
        let again = presence::touch(&url, &second(), TAB_TIDY).await.unwrap();
        assert_eq!(again.others.len(), 1);

        // The queue's list: the other reviewer's add-ons, not the caller's own.
        presence::touch(&url, &second(), FOCUS_TIMER).await.unwrap();
        let seen_by_demo = presence::others(&url, &demo()).await.unwrap();
        let rows: Vec<(i64, Vec<&str>)> = seen_by_demo
            .iter()
            .map(|p| {
                (
                    p.addon_id,
                    p.others.iter().map(|v| v.name.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                (TAB_TIDY, vec!["Second Reviewer"]),
                (FOCUS_TIMER, vec!["Second Reviewer"])
            ]
        );

        // Leaving takes the reviewer off at once.
        presence::leave(&url, &second(), TAB_TIDY).await.unwrap();
        let after = presence::touch(&url, &demo(), TAB_TIDY).await.unwrap();
        assert!(after.others.is_empty(), "{after:?}");
        let seen = presence::others(&url, &demo()).await.unwrap();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].addon_id, FOCUS_TIMER);

        // An add-on the server does not have is named as such; so is an id that is no id.
        match presence::touch(&url, &demo(), 999_999).await.unwrap_err() {
            presence::PresenceError::Refused { status, .. } => assert_eq!(status, 404),
            other => panic!("{other:?}"),
        }
        match presence::touch(&url, &demo(), 0).await.unwrap_err() {
            presence::PresenceError::Refused { status, detail } => {
                assert_eq!(status, 400);
                assert!(detail.contains("positive integer"), "{detail}");
            }
            other => panic!("{other:?}"),
        }
        // Unknown credentials learn nothing.
        let stranger = Credentials::new("user:1:1", "not-a-secret-of-this-server");
        assert!(presence::others(&url, &stranger).await.is_err());
    });
}

#[test]
fn a_presence_not_renewed_expires() {
    let tmp = tempfile::tempdir().unwrap();
    let storage = common::storage(tmp.path());
    let reviewer = |id: i64, name: &str| Profile {
        id,
        name: name.to_owned(),
        username: name.to_lowercase(),
    };
    let (a, b) = (reviewer(1, "Ada"), reviewer(2, "Bo"));
    storage.touch_presence(&a, 7, 1_000, 1_090).unwrap();
    assert_eq!(
        storage.touch_presence(&b, 7, 1_050, 1_140).unwrap(),
        [(1, "Ada".to_owned())]
    );
    // At 1_090 Ada's presence has run out; Bo's has not.
    assert!(
        storage
            .touch_presence(&b, 7, 1_090, 1_180)
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        storage.presence(1, 1_100).unwrap(),
        [(7, 2, "Bo".to_owned())]
    );
    assert!(storage.presence(1, 1_180).unwrap().is_empty());
    // Expired rows are gone, not only hidden: a renewal starts afresh.
    assert!(storage.presence(2, 0).unwrap().is_empty());
}
