//! `sightline user create|list|delete|set-password`: the dashboard's users in
//! `<data_dir>/users.json` (argon2id hashes only). A made-up password is printed once, on
//! stdout; `--password-stdin` reads one instead (never from the command line, where other
//! users of the machine could see it). A running server notices the change within a
//! second; a new password ends the user's sessions.

use std::io::{BufRead as _, Write as _};
use std::path::PathBuf;
use std::time::SystemTime;

use anyhow::{Context as _, bail};
use sightline_server::api::users::{UserFile, check_password, random_password};

use crate::config::{Config, Overrides};

/// What `sightline user` takes.
#[derive(Debug, clap::Args)]
pub struct UserArgs {
    #[command(subcommand)]
    command: UserCommand,
    /// Configuration file (TOML): its data directory is used.
    #[arg(long, env = "SIGHTLINE_CONFIG", value_name = "FILE", global = true)]
    config: Option<PathBuf>,
    /// Data directory [default: ./sightline-data, or the configuration's data_dir].
    #[arg(long, env = "SIGHTLINE_DATA_DIR", value_name = "DIR", global = true)]
    data_dir: Option<PathBuf>,
}

#[derive(Debug, clap::Subcommand)]
enum UserCommand {
    /// Create a user; prints a made-up password (only this once) unless --password-stdin.
    Create {
        /// The user name, to log in with.
        name: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the users (names and creation times; never passwords).
    List,
    /// Delete a user; its sessions end.
    Delete {
        /// The user name.
        name: String,
    },
    /// Set a user's password; prints a made-up one unless --password-stdin. Its sessions end.
    SetPassword {
        /// The user name.
        name: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
}

/// Runs a `user` subcommand.
pub fn run(args: &UserArgs) -> anyhow::Result<()> {
    let overrides = Overrides { config: args.config.clone(), data_dir: args.data_dir.clone(), ..Overrides::default() };
    let config = Config::load(&overrides)?;
    let path = UserFile::path(&config.data_dir);
    let mut file = UserFile::load(&path)?;
    let mut out = std::io::stdout().lock();
    match &args.command {
        UserCommand::Create { name, password_stdin } => {
            let (password, made_up) = password(*password_stdin)?;
            file.create(name, &password, SystemTime::now())?;
            std::fs::create_dir_all(&config.data_dir)
                .with_context(|| format!("cannot create data directory {}", config.data_dir.display()))?;
            file.save(&path)?;
            if made_up {
                writeln!(out, "{password}")?;
                eprintln!("created user {name:?}; its password above is shown only this once");
            } else {
                eprintln!("created user {name:?}");
            }
        }
        UserCommand::List => {
            let rows: Vec<Vec<String>> =
                file.users.iter().map(|user| vec![user.name.clone(), user.created_at.clone()]).collect();
            write!(out, "{}", crate::table::render(&["NAME", "CREATED"], &rows))?;
        }
        UserCommand::Delete { name } => {
            if !file.delete(name) {
                bail!("there is no user named {name:?} (see `sightline user list`)");
            }
            file.save(&path)?;
            eprintln!("deleted user {name:?}; its sessions have ended");
        }
        UserCommand::SetPassword { name, password_stdin } => {
            let (password, made_up) = password(*password_stdin)?;
            file.set_password(name, &password, SystemTime::now())?;
            file.save(&path)?;
            if made_up {
                writeln!(out, "{password}")?;
                eprintln!("set the password of {name:?}; it is shown only this once, and its sessions have ended");
            } else {
                eprintln!("set the password of {name:?}; its sessions have ended");
            }
        }
    }
    out.flush()?;
    Ok(())
}

/// The password from standard input's first line, or a made-up one (true).
fn password(from_stdin: bool) -> anyhow::Result<(String, bool)> {
    if !from_stdin {
        return Ok((random_password(), true));
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    check_password(&password)?;
    Ok((password, false))
}
