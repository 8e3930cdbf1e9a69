use super::*;

fn shop() -> ProjectConfig {
    ProjectConfig {
        id: "shop".into(),
        ingest_key: "pk_shop_12345".into(),
        allowed_origins: vec!["https://shop.example".into()],
        ..ProjectConfig::default()
    }
}

fn open(dir: &Path) -> (ProjectSettings, ProjectRegistry, Vec<ProjectConfig>) {
    let mut projects = vec![shop()];
    let settings = ProjectSettings::open(dir, &mut projects).expect("opens");
    let registry = ProjectRegistry::new(projects.clone()).expect("valid");
    (settings, registry, projects)
}

#[test]
fn a_change_is_in_force_at_once_and_after_a_restart() {
    let dir = tempfile::tempdir().expect("dir");
    let (settings, registry, _) = open(dir.path());
    let patch = SettingsPatch {
        allowed_origins: Some(vec!["https://shop.example".into(), "https://*.shop.example".into()]),
        retention_days: Some(90),
        ..SettingsPatch::default()
    };
    let config = settings.change(&registry, "shop", &patch, "admin").expect("changed");
    assert_eq!(config.retention_days, 90);
    assert_eq!(registry.get("shop").expect("shop").allowed_origins.len(), 2);
    assert!(registry.authorize("pk_shop_12345", Some(&"https://m.shop.example".parse().expect("header"))).is_some());
    let changes = settings.changes("shop").expect("changed");
    assert_eq!(changes.fields, ["allowed_origins", "retention_days"]);
    assert_eq!(changes.updated_by, "admin");

    let (reopened, _, projects) = open(dir.path());
    assert_eq!(projects[0].retention_days, 90, "laid over the configuration file");
    assert_eq!(reopened.configured("shop").expect("shop").retention_days, 30, "the file's value is remembered");
}

#[test]
fn values_equal_to_the_configuration_file_are_not_kept_and_reset_forgets_all() {
    let dir = tempfile::tempdir().expect("dir");
    let (settings, registry, _) = open(dir.path());
    let same = SettingsPatch { retention_days: Some(30), ..SettingsPatch::default() };
    settings.change(&registry, "shop", &same, "admin").expect("changed");
    assert_eq!(settings.changes("shop"), None);

    let patch = SettingsPatch { sample_rate: Some(0.5), drop_bots: Some(false), ..SettingsPatch::default() };
    settings.change(&registry, "shop", &patch, "admin").expect("changed");
    let later = SettingsPatch { drop_bots: Some(true), ..SettingsPatch::default() };
    settings.change(&registry, "shop", &later, "admin").expect("changed");
    assert_eq!(settings.changes("shop").expect("changed").fields, ["sample_rate"], "earlier changes are kept");

    let config = settings.reset(&registry, "shop", "admin").expect("reset");
    assert_eq!(config.sample_rate, 1.0);
    assert_eq!(settings.changes("shop"), None);
    assert_eq!(open(dir.path()).2[0], shop());
}

#[test]
fn invalid_values_name_their_field_and_change_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let (settings, registry, _) = open(dir.path());
    let cases = [
        (SettingsPatch { allowed_origins: Some(vec!["shop.example".into()]), ..Default::default() }, "allowed_origins"),
        (
            SettingsPatch { allowed_origins: Some(vec!["https://a.example/path".into()]), ..Default::default() },
            "allowed_origins",
        ),
        (
            SettingsPatch { allowed_hosts: Some(vec!["https://shop.example".into()]), ..Default::default() },
            "allowed_hosts",
        ),
        (
            SettingsPatch { allowed_hosts: Some(vec!["a.example".into(); MAX_LIST + 1]), ..Default::default() },
            "allowed_hosts",
        ),
        (SettingsPatch { retention_days: Some(0), ..Default::default() }, "retention_days"),
        (SettingsPatch { retention_days: Some(MAX_RETENTION_DAYS + 1), ..Default::default() }, "retention_days"),
        (SettingsPatch { sample_rate: Some(0.0), ..Default::default() }, "sample_rate"),
        (SettingsPatch { sample_rate: Some(f64::NAN), ..Default::default() }, "sample_rate"),
        (SettingsPatch { sample_rate: Some(1.5), ..Default::default() }, "sample_rate"),
    ];
    for (patch, field) in cases {
        match settings.change(&registry, "shop", &patch, "admin") {
            Err(ChangeError::Invalid(error)) => assert_eq!(error.field, Some(field), "{patch:?}: {error}"),
            other => panic!("{patch:?}: {other:?}"),
        }
    }
    assert_eq!(registry.get("shop"), Some(shop()));
    assert!(!dir.path().join(FILE_NAME).exists());
    assert_eq!(
        settings.change(&registry, "blog", &SettingsPatch::default(), "admin"),
        Err(ChangeError::UnknownProject)
    );
}

#[test]
fn a_damaged_file_stops_the_start_and_an_invalid_change_in_it_is_left_out() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join(FILE_NAME), "{").expect("write");
    assert!(ProjectSettings::open(dir.path(), &mut [shop()]).expect_err("damaged").contains(FILE_NAME));
    let text =
        r#"{"version":1,"projects":{"shop":{"settings":{"sample_rate":7.0},"updated_at":"x","updated_by":"y"}}}"#;
    std::fs::write(dir.path().join(FILE_NAME), text).expect("write");
    let mut projects = [shop()];
    ProjectSettings::open(dir.path(), &mut projects).expect("opens");
    assert_eq!(projects[0], shop());
}

#[test]
fn the_retention_hook_hears_every_project() {
    let dir = tempfile::tempdir().expect("dir");
    let heard = std::sync::Arc::new(Mutex::new(HashMap::new()));
    let sink = std::sync::Arc::clone(&heard);
    let (settings, registry, _) = open(dir.path());
    let settings = settings.on_retention(Box::new(move |days| *sink.lock().expect("lock") = days));
    let patch = SettingsPatch { retention_days: Some(7), ..SettingsPatch::default() };
    settings.change(&registry, "shop", &patch, "admin").expect("changed");
    assert_eq!(heard.lock().expect("lock").get("shop"), Some(&7));
}
