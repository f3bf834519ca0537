//! Finding a place by what people say in a meeting (« et Grigny ? »): names compared without
//! case, accents, punctuation or a leading article (`les ulis` finds « Les Ulis », `evry`
//! finds « Évry-Courcouronnes »), codes by their beginning (`91286`, a SIREN).

/// A name as it is compared: lower case, accents and ligatures folded (`é` → `e`, `œ` → `oe`),
/// punctuation as spaces (`Évry-Courcouronnes` → `evry courcouronnes`), a leading article
/// dropped (`les ulis` → `ulis`, `l'hay` → `hay`), spaces collapsed.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        let folded: &str = match c {
            'à' | 'â' | 'ä' | 'á' | 'ã' | 'å' => "a",
            'ç' => "c",
            'é' | 'è' | 'ê' | 'ë' => "e",
            'î' | 'ï' | 'í' | 'ì' => "i",
            'ô' | 'ö' | 'ó' | 'ò' | 'õ' => "o",
            'ù' | 'û' | 'ü' | 'ú' => "u",
            'ÿ' | 'ý' => "y",
            'ñ' => "n",
            'œ' => "oe",
            'æ' => "ae",
            c if c.is_alphanumeric() => {
                out.push(c);
                continue;
            }
            _ => " ",
        };
        out.push_str(folded);
    }
    let words: Vec<&str> = out.split_whitespace().collect();
    let skip = match words.as_slice() {
        [first, _, ..] if matches!(*first, "le" | "la" | "les" | "l") => 1,
        _ => 0,
    };
    words.get(skip..).unwrap_or_default().join(" ")
}

/// How well a folded name matches a folded query: `Some(0)` the same, `Some(1)` the name starts
/// with the query, `Some(2)` a word of the name starts with it, `Some(3)` the name contains it;
/// `None` otherwise. Lower is better.
pub fn name_score(name: &str, query: &str) -> Option<u8> {
    if query.is_empty() {
        return None;
    }
    if name == query {
        Some(0)
    } else if name.starts_with(query) {
        Some(1)
    } else if name
        .match_indices(query)
        .any(|(i, _)| i > 0 && name.as_bytes().get(i - 1) == Some(&b' '))
    {
        Some(2)
    } else if name.contains(query) {
        Some(3)
    } else {
        None
    }
}

/// How well a code matches what was typed (spaces ignored): `Some(0)` the same code, `Some(1)`
/// the code starts with it; only for queries of at least 2 characters.
pub fn code_score(code: &str, query: &str) -> Option<u8> {
    let q: String = query.chars().filter(|c| !c.is_whitespace()).collect();
    let code = code.trim();
    if q.chars().count() < 2 || code.is_empty() {
        return None;
    }
    if code.eq_ignore_ascii_case(&q) {
        Some(0)
    } else if code.len() > q.len()
        && code
            .get(..q.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(&q))
    {
        Some(1)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fold_as_people_say_them() {
        assert_eq!(fold("Évry-Courcouronnes"), "evry courcouronnes");
        assert_eq!(fold("Les Ulis"), "ulis");
        assert_eq!(fold("les ulis"), "ulis");
        assert_eq!(fold("L'Haÿ-les-Roses"), "hay les roses");
        assert_eq!(
            fold("Saint-Germain-lès-Arpajon"),
            "saint germain les arpajon"
        );
        assert_eq!(fold("Cœuvres"), "coeuvres");
        // An article alone stays (a place named « La » would still be found).
        assert_eq!(fold("La"), "la");
    }

    #[test]
    fn scores_prefer_the_closest_match() {
        assert_eq!(name_score("evry courcouronnes", "evry"), Some(1));
        assert_eq!(name_score("ulis", "ulis"), Some(0));
        assert_eq!(name_score("saint germain les arpajon", "arpajon"), Some(2));
        assert_eq!(name_score("grigny", "rign"), Some(3));
        assert_eq!(name_score("grigny", "massy"), None);
        assert_eq!(code_score("91286", "91286"), Some(0));
        assert_eq!(code_score("91286", "912"), Some(1));
        assert_eq!(code_score("91286", "9"), None);
        assert_eq!(code_score("200059228", "200 059"), Some(1));
    }
}
