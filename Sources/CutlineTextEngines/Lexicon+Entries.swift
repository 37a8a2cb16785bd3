/// The vetted replacements (docs/text.md, "The lexicon"), as data: one entry per line,
/// `form | tag | alternatives | sources | conditions`. Tags: `adj`, `adv`, `noun`, `verb` (the base form),
/// `vbz` (he/she/it form), `vbd` (past). Every form and alternative is written out in the same inflection
/// (past for past, plural for plural), so a replacement is never inflected by rule.
/// `sources` names, per alternative, the WordNet 3.0 synset that holds both words (`wn POS OFFSET`,
/// checked against Debian's wordnet-base by LexiconTests) or `editor`: chosen by hand for captions where
/// WordNet files the two apart (its senses are a dictionary's, not a caption writer's). Conditions:
/// `after=a b` (the word before is one of these), `not-after=…`, `not-before=…` (the word after), and
/// `start` (also at the start of a clause, as an imperative), `before-ing` (the word after ends in -ing:
/// "stopped drinking", not "stopped by"), separated by `;`.
extension Lexicon {
    static let englishEntries = """
        amazing      | adj  | incredible, awesome    | editor, wn adj 01282510
        incredible   | adj  | amazing, unreal        | editor, editor
        awesome      | adj  | amazing, incredible    | wn adj 01282510, editor
        unbelievable | adj  | incredible             | wn adj 00645493
        great        | adj  | awesome, amazing       | editor, editor          | not-after=the a an
        easy         | adj  | simple                 | editor
        easiest      | adj  | simplest               | editor
        simple       | adj  | easy                   | editor
        simplest     | adj  | easiest                | editor
        quick        | adj  | fast                   | wn adj 01270486         | not-before=question one tip tips reminder note update look
        quickest     | adj  | fastest                | wn adj 01270486
        huge         | adj  | massive, enormous      | editor, editor          | not-before=thank thanks deal
        massive      | adj  | huge, enormous         | editor, editor          | not-before=thank thanks deal
        enormous     | adj  | huge, massive          | editor, editor          | not-before=thank thanks deal
        perfect      | adj  | ideal                  | editor
        beautiful    | adj  | gorgeous, stunning     | editor, editor
        gorgeous     | adj  | stunning, beautiful    | editor, editor
        stunning     | adj  | gorgeous, breathtaking | editor, editor
        delicious    | adj  | tasty, yummy           | editor, wn adj 02396721
        tasty        | adj  | delicious              | editor
        crazy        | adj  | wild, insane           | wn adj 00886448, editor
        insane       | adj  | crazy, wild            | editor, editor
        cute         | adj  | adorable               | editor
        adorable     | adj  | cute                   | editor
        funny        | adj  | hilarious              | editor                  | not-after=smell smells taste tastes look looks feels sounds
        weird        | adj  | strange, odd           | editor, editor
        strange      | adj  | weird, odd             | editor, editor
        important    | adj  | essential, crucial     | editor, wn adj 00655779
        scary        | adj  | terrifying             | editor
        favorite     | adj  | fave                   | editor
        favourite    | adj  | fave                   | editor
        last         | adj  | final                  | wn adj 01010271         | after=the; not-before=week weekend month year night time
        tiny         | adj  | little                 | editor
        smart        | adj  | clever                 | editor                  | not-before=watch home phone tv speaker casual; not-after=look looks
        clever       | adj  | smart                  | editor
        ultimate     | adj  | definitive             | editor                  | after=the
        really       | adv  | truly                  | wn adv 00037226         | not-after=not isn't wasn't don't didn't doesn't
        totally      | adv  | completely             | wn adv 00008007
        completely   | adv  | totally                | wn adv 00008007
        absolutely   | adv  | totally                | editor
        almost       | adv  | nearly                 | wn adv 00073033
        nearly       | adv  | almost                 | wn adv 00073033
        simply       | adv  | just                   | wn adv 00004722
        instantly    | adv  | immediately            | wn adv 00048739
        immediately  | adv  | instantly              | wn adv 00048739
        trick        | noun | hack                   | editor                  | not-after=new magic card
        tricks       | noun | hacks                  | editor                  | not-after=new magic card
        hack         | noun | trick                  | editor
        hacks        | noun | tricks                 | editor
        deals        | noun | offers                 | editor
        mistakes     | noun | errors                 | wn noun 00070965
        mistake      | noun | error                  | wn noun 00070965
        gift         | noun | present                | editor                  | not-before=for card cards shop wrap wrapping
        gifts        | noun | presents               | editor                  | not-before=for card cards shop
        kids         | noun | children               | wn noun 09917593
        children     | noun | kids                   | wn noun 09917593
        change       | verb | transform              | editor                  | after=will can could would; not-before=a the my mind
        love         | verb | adore                  | editor                  | not-before=to
        loves        | vbz  | adores                 | editor                  | not-before=to
        loved        | vbd  | adored                 | editor                  | not-before=to
        stopped      | vbd  | quit                   | wn verb 02680814        | not-after=has have had 've; before-ing
        start        | verb | begin                  | wn verb 00345761
        started      | vbd  | began                  | wn verb 00345761        | not-after=has have had 've get got getting; not-before=a an
        pick         | verb | choose                 | editor                  | not-before=up out
        grab         | verb | get                    | editor                  | start
        built        | vbd  | made                   | wn verb 01654646        | not-before=a an
        """
}
