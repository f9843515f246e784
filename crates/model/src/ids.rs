//! The fixed ids of the scenario contract that are not the model's to declare: species, sexes
//! and routes of administration, with the other spellings a user may type.

use std::fmt;

// ---------------------------------------------------------------------------
// Ids
// ---------------------------------------------------------------------------

/// An enum whose variants are written in scenario files as fixed ids.
pub(crate) trait Id: Copy + 'static {
    /// What the id names, for messages ("drug", "route", ...).
    const KIND: &'static str;
    fn all() -> &'static [Self];
    fn id(self) -> &'static str;
    /// Common other spellings, used only to suggest the right id.
    fn aliases() -> &'static [(&'static str, &'static str)];
    fn from_id(text: &str) -> Option<Self> {
        Self::all().iter().copied().find(|v| v.id() == text)
    }
}

macro_rules! id_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident : $kind:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $id:literal ),+ $(,)?
        }
        aliases { $( $alias:literal => $target:literal ),* $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every variant, in contract order.
            $vis const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The id written in scenario files.
            $vis const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $id),+
                }
            }

            /// The variant with this exact id, if any.
            $vis fn from_id(id: &str) -> Option<$name> {
                <$name as Id>::from_id(id)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Id for $name {
            const KIND: &'static str = $kind;
            fn all() -> &'static [Self] {
                Self::ALL
            }
            fn id(self) -> &'static str {
                self.as_str()
            }
            fn aliases() -> &'static [(&'static str, &'static str)] {
                &[$(($alias, $target)),*]
            }
        }
    };
}

id_enum! {
    /// The simulated organism.
    pub enum Species: "species" {
        Human = "human",
        Mouse = "mouse",
    }
    aliases {
        "mice" => "mouse",
        "mus_musculus" => "mouse",
        "homo_sapiens" => "human",
        "woman" => "human",
        "man" => "human",
    }
}

id_enum! {
    /// The subject's sex.
    pub enum Sex: "sex" {
        Female = "female",
        Male = "male",
    }
    aliases {
        "f" => "female",
        "m" => "male",
        "woman" => "female",
        "man" => "male",
    }
}

id_enum! {
    /// A route of administration.
    pub enum Route: "route" {
        Oral = "oral",
        Transdermal = "transdermal",
        Intramuscular = "intramuscular",
        Intravenous = "intravenous",
        Subcutaneous = "subcutaneous",
        Intraperitoneal = "intraperitoneal",
    }
    aliases {
        "po" => "oral",
        "iv" => "intravenous",
        "sc" => "subcutaneous",
        "sq" => "subcutaneous",
        "subq" => "subcutaneous",
        "subcut" => "subcutaneous",
        "ip" => "intraperitoneal",
        "im" => "intramuscular",
        "td" => "transdermal",
        "patch" => "transdermal",
        "topical" => "transdermal",
    }
}

impl Species {
    /// The ages (years) a subject of this species may have on day 0: adult humans up to 110
    /// (verified human lifespans end near 122: Robine 1998 Science 279:1834; the model's life
    /// table reaches about 100), and mice from weaning at 3 weeks to 4 years (the longest-lived
    /// C57BL/6 mice reach about 1,300-1,400 days: Yuan 2009 Aging Cell 8:277).
    pub const fn age_range_years(self) -> (f64, f64) {
        match self {
            Species::Human => (18.0, 110.0),
            Species::Mouse => (3.0 * 7.0 / 365.25, 4.0),
        }
    }

    /// The body weights (kg) a subject of this species may have: adult humans 25-300 kg;
    /// mice 8-80 g (an adult C57BL/6 weighs 20-30 g, an obese ob/ob mouse up to ~70 g).
    pub const fn body_weight_range_kg(self) -> (f64, f64) {
        match self {
            Species::Human => (25.0, 300.0),
            Species::Mouse => (0.008, 0.08),
        }
    }
}
