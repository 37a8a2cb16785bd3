/// What the offline engine knows of one language: its function words (never emphasised), the words
/// that open a call to action or a story, and the hooks its social posts use, per mood. A language not
/// listed gets no hooks and no synonyms: only texts the engine is sure of.
struct CaptionLanguage: Sendable {
    let code: String
    /// Articles, pronouns, prepositions, auxiliaries, conjunctions: never emphasised, never replaced.
    let functionWords: Set<String>
    /// Verbs that open a call to action ("watch", "don't").
    let imperatives: Set<String>
    /// Openings of a story ("how i", "the day i"), as words.
    let storyOpenings: [[String]]
    /// First words of a "how"/"why" title that is not a question (after the story openings).
    let headlineOpenings: Set<String>
    /// First words that open a text the way a hook does ("so", "okay", "pov"): no hook goes before them.
    let leadIns: Set<String>
    /// Hooks that whisper ("Psst:", "Reminder:"): no "!" after them, and none on a text ending in one.
    let quietHooks: Set<String>
    /// Hooks per mood; each ends in ":" or ",", or is a lead-in such as "Okay, so".
    let hooks: [Caption.Mood: [String]]
    /// After a hook the first word loses its capital (English, Spanish, Russian); German keeps it, as a
    /// full sentence after a colon starts with one there.
    let lowercaseAfterHook: Bool
    /// Spanish opens an exclamation with "¡".
    let opensExclamation: Bool
    /// Verbs in finite forms, to tell a sentence from a title (English only; elsewhere every text that
    /// is not a question or call to action counts as a statement).
    let finiteVerbs: Set<String>
    /// Other common words a sentence may start with, which are therefore not names.
    let commonWords: Set<String>
    /// Words that carry a caption's point and so take its one emphasis ("best", "never").
    let salientWords: Set<String>
    /// Time and place words that are never the point ("later", "below").
    let weakWords: Set<String>

    var allHooks: [String] { hooks.values.flatMap { $0 } }

    func hooks(for mood: Caption.Mood) -> [String] { hooks[mood] ?? [] }

    /// A word this language's lists know (and so not a name when capitalised at a sentence's start).
    func isCommon(_ word: String) -> Bool {
        functionWords.contains(word) || imperatives.contains(word) || commonWords.contains(word) || finiteVerbs.contains(word)
            || (code == "en" && Lexicon.english.entries[word] != nil)
    }

    func hasFiniteVerb(_ words: [String]) -> Bool {
        guard code == "en" else { return true }
        // "I wish", "nobody talks": a word right after a subject pronoun is a verb in a short caption.
        let subjects: Set<String> = ["i", "you", "we", "they", "he", "she", "it", "nobody", "everyone", "everybody", "someone", "this"]
        for (index, word) in words.enumerated() {
            if finiteVerbs.contains(word) || word.hasSuffix("'s") || word.hasSuffix("'re") || word.hasSuffix("'ll") || word.hasSuffix("n't") {
                return true
            }
            if index > 0, subjects.contains(words[index - 1]), !functionWords.contains(word) { return true }
            if let entry = Lexicon.english.entries[word], entry.tag == .pastVerb || entry.tag == .presentVerb { return true }
        }
        return false
    }

    static let all: [CaptionLanguage] = [english, spanish, german, russian, arabic]

    static func named(_ code: String?) -> CaptionLanguage {
        all.first { $0.code == code } ?? CaptionLanguage(code: code ?? "", functionWords: [], imperatives: [], storyOpenings: [])
    }

    init(
        code: String, functionWords: Set<String>, imperatives: Set<String>, storyOpenings: [[String]], headlineOpenings: Set<String> = [],
        leadIns: Set<String> = [], quietHooks: Set<String> = [], hooks: [Caption.Mood: [String]] = [:],
        lowercaseAfterHook: Bool = true, opensExclamation: Bool = false, finiteVerbs: Set<String> = [], commonWords: Set<String> = [],
        salientWords: Set<String> = [], weakWords: Set<String> = []
    ) {
        self.code = code
        self.functionWords = functionWords
        self.imperatives = imperatives
        self.storyOpenings = storyOpenings
        self.headlineOpenings = headlineOpenings
        self.leadIns = leadIns
        self.quietHooks = quietHooks
        self.hooks = hooks
        self.lowercaseAfterHook = lowercaseAfterHook
        self.opensExclamation = opensExclamation
        self.finiteVerbs = finiteVerbs
        self.commonWords = commonWords
        self.salientWords = salientWords
        self.weakWords = weakWords
    }

    static let english = CaptionLanguage(
        code: "en",
        functionWords: [
            "a", "an", "the", "this", "that", "these", "those", "my", "your", "our", "their", "his", "her", "its", "i", "me", "you", "we",
            "us", "they", "them", "he", "him", "she", "it", "who", "whom", "what", "which", "whose", "and", "or", "but", "nor", "so", "yet",
            "if", "because", "as", "than", "of", "to", "in", "on", "at", "by", "for", "with", "from", "up", "down", "out", "over", "under",
            "into", "onto", "about", "after", "before", "till", "until", "through", "off", "is", "are", "was", "were", "be", "been", "being",
            "am", "do", "does", "did", "have", "has", "had", "will", "would", "can", "could", "shall", "should", "may", "might", "must",
            "don't", "doesn't", "didn't", "won't", "can't", "isn't", "aren't", "wasn't", "it's", "i'm", "you're", "we're", "they're",
            "that's", "what's", "there's", "let's", "i've", "you've", "we've", "i'll", "you'll", "we'll", "they'll", "not", "no", "all",
            "every", "each", "some", "any", "more", "most", "much", "many", "few", "just", "very", "too", "when", "where", "why", "how",
            "there", "here", "then", "now", "one", "ever", "never", "also", "even", "only", "yours", "mine", "ours", "theirs",
            "hers",
        ],
        imperatives: [
            "watch", "don't", "never", "stop", "try", "save", "share", "tag", "follow", "comment", "grab", "get", "check", "see",
            "look", "wait", "join", "shop", "buy", "order", "subscribe", "like", "listen", "learn", "discover", "find", "make", "take",
            "keep", "let's", "tell", "send", "use", "read", "remember", "please", "go", "come", "start", "swipe", "tap", "click", "drop",
        ],
        storyOpenings: [["how", "i"], ["how", "we"], ["why", "i"], ["why", "we"], ["the", "day", "i"], ["when", "i"], ["when", "my"]],
        // Titles, and wishes that no hook reads right before ("Have a great weekend").
        headlineOpenings: [
            "how", "why", "what", "when", "where", "who", "have", "enjoy", "happy", "merry", "thank", "thanks", "congrats",
            "congratulations", "welcome", "cheers",
        ],
        leadIns: ["so", "okay", "ok", "honestly", "well", "listen", "psa", "pov", "fyi", "btw", "guys", "alright", "breaking", "update"],
        quietHooks: ["Psst:", "Reminder:"],
        hooks: [
            .statement: ["Real talk:", "Honestly,", "Not gonna lie,", "Okay, so", "Trust me,"],
            .imperative: ["Heads up:", "Reminder:", "Trust me,", "Seriously,", "Psst:"],
            .question: ["Be honest:", "Quick question:", "Real question:", "Okay, but"],
            .story: ["Story time:", "True story:"],
        ],
        finiteVerbs: [
            "is", "are", "was", "were", "am", "has", "have", "had", "will", "would", "can", "could", "should", "must", "do", "does", "did",
            "made", "makes", "got", "gets", "went", "goes", "knew", "know", "wish", "talks", "said", "says", "took", "takes",
        ],
        commonWords: [
            "best", "new", "big", "tiny", "things", "nobody", "everyone", "everybody", "someone", "nothing", "something", "everything",
            "why", "how", "which", "what", "when", "day",
        ],
        salientWords: [
            "best", "worst", "nobody", "everyone", "everything", "nothing", "free", "new", "secret", "only", "first", "real", "huge",
            "big", "wrong", "mistakes", "mistake", "gone", "end", "always",
        ],
        weakWords: ["later", "below", "above", "next", "today", "tonight", "soon", "again", "here", "there", "now", "ever", "time", "things"]
    )

    static let spanish = CaptionLanguage(
        code: "es",
        functionWords: [
            "el", "la", "los", "las", "un", "una", "unos", "unas", "de", "del", "al", "a", "en", "y", "o", "que", "por", "para", "con", "sin",
            "mi", "mis", "tu", "tus", "su", "sus", "nuestro", "nuestra", "es", "son", "fue", "era", "muy", "tan", "hoy", "ya", "no", "te",
            "me", "se", "lo", "le", "esto", "este", "esta", "eso", "hasta", "sobre", "qué", "cómo", "cuál", "yo", "tú",
        ],
        imperatives: ["mira", "no", "guarda", "sigue", "comenta", "comparte", "prueba", "etiqueta", "descubre", "aprende", "compra", "dale"],
        storyOpenings: [["cómo"], ["el", "día", "que"], ["por", "qué"]],
        hooks: [
            .imperative: ["Ojo:", "Atención:", "Recuerda:"],
            .question: ["Pregunta seria:", "Una pregunta:"],
            .story: ["Te cuento:"],
        ],
        opensExclamation: true,
        commonWords: ["nueva", "nuevo", "mi", "mis", "qué", "cuál", "cómo"],
        salientWords: ["mejor", "nuevo", "nueva", "increíble", "gratis", "nunca", "último", "última", "final"],
        weakWords: ["después", "luego", "hoy", "aquí", "ahora", "abajo"]
    )

    static let german = CaptionLanguage(
        code: "de",
        functionWords: [
            "der", "die", "das", "den", "dem", "des", "ein", "eine", "einen", "einem", "und", "oder", "aber", "ist", "sind", "war", "hat",
            "habe", "ich", "du", "er", "sie", "es", "wir", "ihr", "mein", "meine", "dein", "deine", "nicht", "mit", "auf", "für", "zu",
            "zum", "zur", "bis", "in", "im", "an", "am", "von", "vom", "über", "je", "sehr", "heute", "wie", "was", "welches", "welcher",
            "da",
        ],
        imperatives: ["schau", "verpasse", "verpass", "speichere", "speicher", "folge", "teile", "probier", "probiere", "markiere", "hol"],
        storyOpenings: [["wie", "ich"], ["warum", "ich"], ["der", "tag", "an", "dem"]],
        hooks: [
            .imperative: ["Achtung:", "Aufgepasst:", "Tipp:"],
            .question: ["Mal ehrlich:", "Kurze Frage:"],
            .story: ["Meine Geschichte:"],
        ],
        lowercaseAfterHook: false,
        salientWords: ["beste", "besten", "neue", "neu", "nie", "niemals", "letzten", "gratis", "ende"],
        weakWords: ["später", "heute", "hier", "jetzt", "unten", "je", "hatte"]
    )

    static let russian = CaptionLanguage(
        code: "ru",
        functionWords: [
            "и", "в", "во", "не", "на", "я", "ты", "он", "она", "мы", "вы", "они", "это", "этот", "эта", "с", "со", "за", "по", "к", "о",
            "об", "до", "из", "у", "от", "для", "как", "какой", "какая", "что", "бы", "был", "была", "было", "мой", "моя", "моё", "мою",
            "моей", "твой", "уже", "здесь", "же", "ли",
        ],
        imperatives: ["смотри", "не", "сохрани", "подпишись", "попробуй", "поделись", "отметь", "напиши", "узнай"],
        storyOpenings: [["как", "я"], ["почему", "я"]],
        hooks: [
            .imperative: ["Внимание:", "Совет:"],
            .question: ["Вопрос:", "Честно,"],
            .story: ["История:"],
        ],
        commonWords: ["новая", "новый", "новое", "лучший", "моя", "мой"],
        salientWords: ["лучший", "лучшая", "новая", "новый", "никогда", "последний", "бесплатно", "конца"],
        weakWords: ["потом", "сегодня", "здесь", "сейчас", "ниже"]
    )

    static let arabic = CaptionLanguage(
        code: "ar",
        functionWords: ["في", "من", "على", "إلى", "عن", "هذا", "هذه", "كان", "كانت", "لا", "هل", "حتى", "و", "أو", "الآن"],
        imperatives: ["شاهد", "لا", "احفظ", "تابع", "شارك", "جرب", "اكتب"],
        storyOpenings: [["كيف"]],
        hooks: [
            .imperative: ["انتبه:", "نصيحة:"],
            .question: ["سؤال:"],
            .story: ["قصتي:"],
        ]
    )
}
