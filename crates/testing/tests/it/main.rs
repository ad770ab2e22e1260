//! Checks of the workspace as a whole: its layout (no dependency or import cycles).

mod layout;
