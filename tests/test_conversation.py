"""The conversation as a state machine, without an app: which question comes next, what answers
it, what "skip", "back" and "reset" do, and which effects each message asks the app to carry out."""

from __future__ import annotations

from movierec_tui.app import conversation as talk
from movierec_tui.app.conversation import SEED_TARGET, Conversation, Question, Situation, entry_for
from movierec_tui.chat import Edit, Why, apply_intent, parse
from movierec_tui.engine import MovieCard
from movierec_tui.profile import Profile
from movierec_tui.titles import TitleEntry, TitleIndex

CARDS = [
    MovieCard(movie_id, title, year, genres, 4.0, 1000 - movie_id, (1, 2, 3, 4, 5))
    for movie_id, title, year, genres in (
        (1, "Alien", 1979, ("Horror", "Sci-Fi")),
        (2, "Heat", 1995, ("Action", "Crime")),
        (3, "Brazil", 1985, ("Sci-Fi",)),
        (4, "Toy Story", 1995, ("Animation", "Comedy")),
        (5, "Scream", 1996, ("Horror",)),
        (6, "Unforgiven", 1992, ("Western",)),
        (7, "Fargo", 1996, ("Crime",)),
    )
]
CATALOG = {card.movie_id: card for card in CARDS}
TITLES = TitleIndex(TitleEntry(c.movie_id, c.title, c.year, c.rating_count) for c in CARDS)


class Session:
    """A conversation and the profile it edits, carrying out the effects the way the app does."""

    def __init__(self, steer=None) -> None:
        self.asked_to_steer: list[set[int]] = []

        def default_steer(profile: Profile, asked: set[int]) -> list[MovieCard]:
            self.asked_to_steer.append(set(asked))
            return [c for c in CARDS if c.movie_id not in asked]

        self.talk = Conversation(steer or default_steer)
        self.talk.start(CARDS)
        self.profile = Profile()
        self.saved_as: str | None = None
        self.more_like = False
        self.effects: list[talk.Effect] = []

    def carry_out(self, effects: list[talk.Effect]) -> None:
        for effect in effects:
            self.effects.append(effect)
            if isinstance(effect, talk.Change):
                self.profile = effect.edit.profile
            elif isinstance(effect, talk.Unname):
                self.saved_as = None
            elif isinstance(effect, talk.ShowMoreLike):
                self.more_like = True
            elif isinstance(effect, talk.BackToMine | talk.StartOver):
                self.more_like = False

    def say(self, text: str) -> list[talk.Effect]:
        """One message, as the app handles it: intent by intent, then the next question if due."""
        self.effects = []
        answered = False
        for intent in parse(text, TITLES, self.talk.expecting):
            turn = self.talk.handle(intent, Situation(self.profile, CATALOG, None, self.more_like, self.saved_as))
            self.carry_out(turn.effects)
            answered = turn.answered or answered
        if answered:
            self.carry_out(self.talk.ask_next(self.profile))
        return self.effects

    def start(self) -> None:
        self.carry_out(self.talk.ask_next(self.profile))

    @property
    def kind(self) -> str | None:
        return self.talk.question.kind if self.talk.question else None

    def said(self) -> list[str]:
        return [str(e.message) for e in self.effects if isinstance(e, talk.Say)]


def test_the_questions_come_in_order_and_each_answer_moves_on() -> None:
    session = Session()
    session.start()
    assert session.kind == "age"
    session.say("I'm 34")
    assert session.profile.age == 25 and session.kind == "gender"
    session.say("female")
    assert session.profile.gender == "F" and session.kind == "occupation"
    session.say("programmer")
    assert session.profile.occupation == 12 and session.kind == "seed"
    assert session.talk.question.movie == entry_for(CARDS[0])
    assert session.said()[-1].startswith("Now a few well-known movies. Have you seen Alien (1979)")


def test_an_answer_given_all_at_once_skips_the_questions_it_answers() -> None:
    session = Session()
    session.start()
    session.say("34, female, programmer")
    assert (session.profile.age, session.profile.gender, session.profile.occupation) == (25, "F", 12)
    assert session.kind == "seed"


def test_skip_moves_past_a_question_and_it_is_not_asked_again() -> None:
    session = Session()
    session.start()
    assert session.say("skip") and session.kind == "gender"
    session.say("skip")
    session.say("skip")
    first = session.talk.question.movie
    session.say("skip")  # the seed movie: not seen
    assert session.kind == "seed" and session.talk.question.movie != first
    assert session.talk.seeds_rated == 0
    session.talk.restart()
    session.carry_out(session.talk.ask_next(session.profile))
    assert session.kind == "age"  # a reset asks again


def test_seeds_are_rated_until_the_target_then_the_questions_end() -> None:
    session = Session()
    session.start()
    session.say("34, female, programmer")
    for _ in range(SEED_TARGET):
        assert session.kind == "seed"
        session.say("4")
    assert session.talk.seeds_rated == SEED_TARGET and len(session.profile.ratings) == SEED_TARGET
    assert not session.talk.onboarding and session.kind is None
    assert session.said()[-1].startswith("Thanks! Your recommendations now follow every rating")
    assert session.asked_to_steer[-1] == set(list(CATALOG)[: SEED_TARGET - 1])  # steered past those asked


def test_a_rating_that_changes_nothing_answers_the_question_but_is_no_new_seed() -> None:
    session = Session()
    session.start()
    session.say("34, female, programmer")
    seed = session.talk.question.movie
    session.profile = Profile(age=25, gender="F", occupation=12, ratings={seed.movie_id: 4})
    effects = session.say("4")
    assert "You already rated Alien (1979) ★★★★☆." in session.said()
    assert not any(isinstance(e, talk.Change) for e in effects)
    assert session.talk.seeds_rated == 0 and session.kind == "seed" and session.talk.question.movie != seed


def test_a_rating_from_a_card_answers_the_question_about_that_movie_only() -> None:
    session = Session()
    session.start()
    session.say("34, female, programmer")
    seed = session.talk.question.movie
    assert not session.talk.rated(entry_for(CARDS[6]))  # another movie: the question stays
    assert session.talk.question.movie == seed
    assert session.talk.rated(seed) and session.talk.question is None and session.talk.seeds_rated == 1


def test_a_mentioned_title_is_a_question_about_it() -> None:
    session = Session()
    session.start()
    session.say("back")  # no more onboarding
    assert not session.talk.onboarding
    session.say("Heat")
    assert session.talk.question == Question("movie", entry_for(CATALOG[2]))
    session.say("loved it")
    assert session.profile.ratings == {2: 5} and session.kind is None
    session.say("Heat")
    assert session.said() == ["You rated Heat (1995) ★★★★★. Change it?"]
    session.say("skip")
    assert session.said() == ["OK, skipped."] and session.kind is None
    session.say("skip")
    assert session.said() == ["There's nothing to skip right now."]


def test_back_leaves_more_like_first_then_the_questions() -> None:
    session = Session()
    session.start()
    effects = session.say("more like Alien")
    assert effects == [talk.ShowMoreLike(CATALOG[1])] and session.talk.onboarding
    effects = session.say("back")
    assert isinstance(effects[0], talk.BackToMine) and session.talk.onboarding
    session.say("back")
    assert not session.talk.onboarding and session.said()[0].startswith("Thanks!")
    session.say("back")
    assert session.said() == ["You're looking at your own picks already."]


def test_reset_keeps_the_saved_profile_and_starts_over() -> None:
    session = Session()
    session.start()
    session.say("34, female, programmer")
    session.saved_as = "alice"
    session.more_like = True
    effects = session.say("reset")
    kinds = [type(e) for e in effects]
    assert kinds[:4] == [talk.Say, talk.Unname, talk.Change, talk.StartOver]
    assert session.said()[0] == "The saved profile 'alice' is kept as it was."
    assert session.profile == Profile() and session.saved_as is None and not session.more_like
    assert session.talk.onboarding and session.kind == "age"


def test_requests_become_effects_for_the_app() -> None:
    session = Session()
    session.start()
    session.say("back")
    assert session.say("why Brazil?") == [talk.Explain(CATALOG[3])]
    assert session.say("undo") == [talk.UndoLast()]
    assert session.say("save alice") == [talk.SaveProfile("alice")]
    assert session.say("load alice") == [talk.LoadProfile("alice")]
    assert session.say("profiles") == [talk.ListProfiles()]
    assert session.said() == [] and session.say("help")
    assert session.said()[0].startswith("Here is what I understand:")
    unknown = session.say("Heet 5")
    assert isinstance(unknown[0], talk.Say) and any("Heat" in c.label for c in unknown[0].choices or ())
    assert session.say("more like this") == [talk.Say("More like which movie? Say e.g. “more like Alien”, "
                                                      "or press m on a card.")]  # fmt: skip
    assert session.say("tell me about Brazil") == [talk.ShowDetails(CATALOG[3])]
    assert session.say("what is it about?") == [talk.Say("About which movie? Say e.g. “tell me about Alien”, "
                                                         "or press enter on a card.")]  # fmt: skip


def test_a_number_names_the_card_showing_it() -> None:
    """ "why 3" explains the third card on screen, "more like 2" starts from the second, "add 3 to my
    watchlist" and "dismiss 1" edit the profile with the card's movie; a number no card shows is said
    so, and digits that are a title (a movie called 1941) name it when no card has that number."""
    talk_ = Conversation(lambda profile, asked: [])
    shown = (CARDS[4], CARDS[0], CARDS[6])

    def handle(text: str, cards=shown) -> list[talk.Effect]:
        (intent,) = parse(text, TITLES, None)
        return talk_.handle(intent, Situation(Profile(), CATALOG, CARDS[1], shown=cards)).effects

    assert handle("why 3") == [talk.Explain(CARDS[6])]
    assert handle("why #1?") == [talk.Explain(CARDS[4])]
    assert handle("more like 2") == [talk.ShowMoreLike(CARDS[0])]
    assert handle("why?") == [talk.Explain(CARDS[1])]  # the highlighted card, as before
    assert handle("why 4") == [talk.Say("There is no card 4: the cards go from 1 to 3.")]
    assert handle("more like 1", cards=()) == [talk.Say("There is no card 1: no cards are shown yet.")]
    on_list = handle("add 3 to my watchlist")
    assert isinstance(on_list[0], talk.Change) and on_list[0].edit.profile.watchlist == [CARDS[6].movie_id]
    dismissed = handle("dismiss 1")
    assert isinstance(dismissed[0], talk.Change) and dismissed[0].edit.profile.dismissed == [CARDS[4].movie_id]
    assert handle("mark 9 as seen") == [talk.Say("There is no card 9: the cards go from 1 to 3.")]
    called_40 = Why(entry_for(CARDS[2]), 40)  # as the parser reads "why 40" when a movie is called "40"
    assert talk_.handle(called_40, Situation(Profile(), CATALOG, None, shown=shown)).effects == [talk.Explain(CARDS[2])]


def test_a_year_filter_no_movie_is_in_is_not_set() -> None:
    """The catalogue's movies are from 1979 to 1996: "from the 2010s" would only empty the cards, so
    it is said and left out; a range that reaches into the catalogue is set."""
    session = Session()
    session.start()
    session.say("back")
    left = "they are from 1979 to 1996, so I left the years as they were."
    assert session.say("from the 2010s") == [talk.Say(f"No movie here is from the 2010s: {left}")]
    assert session.say("after 2000") == [talk.Say(f"No movie here is from 2001 or later: {left}")]
    assert session.profile.year_min is None and session.profile.year_max is None
    session.say("from 1990 to 2010")
    assert (session.profile.year_min, session.profile.year_max) == (1990, 2010)


def test_what_to_watch_is_answered_with_the_best_cards_by_their_numbers() -> None:
    talk_ = Conversation(lambda profile, asked: [])
    (intent,) = parse("what should I watch tonight?", TITLES, None)
    (said,) = talk_.handle(intent, Situation(Profile(), CATALOG, None, shown=(CARDS[6], CARDS[2]))).effects
    assert isinstance(said, talk.Say)
    assert str(said.message).startswith("Your best picks now: #1 Fargo (1996); #2 Brazil (1985). Ask “why 1?”")
    assert said.choices is not None and [c.value for c in said.choices] == ["why 1?", "more like 1", "help"]
    (nothing,) = talk_.handle(intent, Situation(Profile(), CATALOG, None)).effects
    assert nothing == talk.Say("No cards are shown right now: if a filter leaves no movie, say “clear filters”.")
    session = Session()
    session.start()  # the age question is up: its chips stay
    (answer,) = session.say("any suggestions?")
    assert isinstance(answer, talk.Say) and answer.choices is None and session.kind == "age"


def test_show_me_a_genre_that_is_not_hidden_says_how_to_see_it() -> None:
    """ "show me comedies" lifts a "no comedies"; when nothing hid them it used to answer "Already so:
    Comedy allowed", even when an "only westerns" filter was why no comedy showed."""
    session = Session()
    session.start()
    session.say("back")
    assert session.say("show me comedies") == [
        talk.Say("Comedy is not hidden: among your picks already. Say “only comedy” to see nothing else.")]  # fmt: skip
    session.say("only westerns")
    assert session.say("show me comedies") == [
        talk.Say("Only Western is shown: say “only comedy” or “clear filters” to see Comedy.")]  # fmt: skip
    session.say("no westerns")
    session.say("show me westerns")
    assert session.profile.genres_out == [] and isinstance(session.effects[0], talk.Change)


def test_a_failing_steer_keeps_the_order_chosen_at_start() -> None:
    def broken(profile: Profile, asked: set[int]) -> list[MovieCard]:
        raise RuntimeError("the model is away")

    session = Session(steer=broken)
    session.start()
    session.say("34, female, programmer")
    assert session.kind == "seed" and session.talk.question.movie == entry_for(CARDS[0])
    session.say("5")
    assert session.talk.question.movie == entry_for(CARDS[1])


def test_seen_it_to_a_seed_puts_it_on_the_seen_list_and_asks_how_it_was() -> None:
    """ "Have you seen Fargo? Rate it 1-5": "seen it" (or "I've seen that") is a yes without a rating: on
    the seen list, then "How did you like it?"; a rating goes on to the next seed. "Haven't seen this"
    skips it. All three were "I didn't understand" (or, outside a question, lists of titles)."""
    session = Session()
    session.start()
    session.say("34, female, programmer")
    first = session.talk.question.movie
    assert session.kind == "seed"
    session.say("seen it")
    assert first.movie_id in session.profile.seen and first.movie_id not in session.profile.ratings
    assert session.kind == "movie" and session.talk.question.movie == first
    assert session.said()[-1].startswith("How did you like it?")
    session.say("4")
    assert session.profile.ratings[first.movie_id] == 4 and session.kind == "seed"
    second = session.talk.question.movie
    assert second != first
    session.say("haven't seen this")
    assert second.movie_id not in session.profile.seen and session.talk.question.movie not in (first, second)
    session.say("I've seen that")
    assert session.talk.question.movie.movie_id in session.profile.seen


def test_my_ratings_are_said_newest_first_with_their_stars() -> None:
    """ "what have I rated?" was "I didn't understand": the ratings were only in the profile panel,
    which folds away below 100 columns."""
    session = Session()
    session.start()
    session.say("back")
    assert session.say("my ratings") == [talk.Say("You have not rated anything yet: say “loved Alien” or “Heat 4”, "
                                                  "or press 1-5 on a card.")]  # fmt: skip
    session.say("loved brazil")
    session.say("heat 4.5")
    (said,) = session.say("what have I rated?")
    assert said == talk.Say("Your ratings (2 movies, newest first): Heat (1995) 4.5★, Brazil (1985) 5★. "
                            "Change one with “Heat 3”, take one back with “forget Heat”.")  # fmt: skip
    many = Profile(ratings={movie_id: 3.0 for movie_id in range(101, 104 + talk.RATINGS_SAID)})
    said_of_many = talk.ratings_said(Situation(many, CATALOG, None))
    newest = 103 + talk.RATINGS_SAID
    assert said_of_many.startswith(f"Your ratings ({talk.RATINGS_SAID + 3} movies, newest first): movie {newest} 3★, ")
    assert said_of_many.count("3★") == talk.RATINGS_SAID and " and 3 more. " in said_of_many


def test_dismiss_this_dismisses_the_highlighted_card() -> None:
    """ "dismiss this", "not interested in that one" were "I didn't understand" (x on a card did it);
    with no card highlighted, the answer says how, for a dismissal (it spoke of the watchlist)."""
    talk_ = Conversation(lambda profile, asked: [])
    for text in ("dismiss this", "not interested in that one"):
        (intent,) = parse(text, TITLES, None)
        (change,) = talk_.handle(intent, Situation(Profile(), CATALOG, CARDS[2])).effects
        assert isinstance(change, talk.Change) and change.edit.profile.dismissed == [CARDS[2].movie_id]
    (said,) = talk_.handle(parse("dismiss this", TITLES, None)[0], Situation(Profile(), CATALOG, None)).effects
    assert said == talk.Say("Which movie? Say e.g. “dismiss Titanic”, or press x on a card.")


def test_an_edit_changes_the_profile_only_through_the_effect() -> None:
    session = Session()
    turn = session.talk.handle(parse("no horror", TITLES)[0], Situation(Profile(), CATALOG))
    (change,) = turn.effects
    assert isinstance(change, talk.Change) and isinstance(change.edit, Edit)
    assert change.edit == apply_intent(Profile(), parse("no horror", TITLES)[0])
    assert change.edit.profile.genres_out == ["Horror"]


# -- a guess is asked about first, never done (issue 16) --------------------------------------------


def changes(effects: list[talk.Effect]) -> list[Edit]:
    return [e.edit for e in effects if isinstance(e, talk.Change)]


def test_a_guessed_title_is_asked_about_and_rated_only_on_a_yes() -> None:
    session = Session()
    session.start()
    session.say("back")
    effects = session.say("Heats 4")
    assert session.said() == ["Did you mean Heat (1995)? yes / no"] and not changes(effects)
    assert session.kind == "confirm" and session.profile.ratings == {}
    assert [c.value for c in effects[0].choices] == ["yes", "no"]
    (edit,) = changes(session.say("yes"))
    assert session.profile.ratings == {2: 4.0} and session.kind is None
    assert edit.echo == "Rated Heat (1995) 4★ — undo with ctrl+z"


def test_no_or_anything_else_leaves_the_guess_undone() -> None:
    session = Session()
    session.start()
    session.say("back")
    session.say("Heats 4")
    assert not changes(session.say("no")) and session.profile.ratings == {}
    assert session.said()[0].startswith("OK, not Heat (1995).") and session.kind is None
    session.say("Heats 4")
    session.say("Fargo 3.5")  # moved on: the guess is dropped, the new message is done
    assert session.profile.ratings == {7: 3.5} and session.kind is None
    assert session.say("yes") and "no question" in session.said()[0]  # "yes" now answers nothing


def test_what_is_sure_is_done_at_once_and_guesses_are_asked_one_by_one() -> None:
    session = Session()
    session.start()
    session.say("back")
    session.say("loved alein and Fargo, Heats 2")
    assert session.profile.ratings == {7: 5.0} and session.said()[-1] == "Did you mean Alien (1979)? yes / no"
    session.say("yes")
    assert session.profile.ratings == {7: 5.0, 1: 5.0} and session.said()[-1] == "Did you mean Heat (1995)? yes / no"
    session.say("no")
    assert session.profile.ratings == {7: 5.0, 1: 5.0} and session.kind is None


def test_a_guessed_age_during_the_questions_is_confirmed_then_the_questions_go_on() -> None:
    session = Session()
    session.start()
    session.say("back")
    session.talk.restart()
    session.start()
    assert session.kind == "age"
    session.say("I'm 34, loved alein")
    assert session.profile.age == 25 and session.kind == "confirm"  # not replaced by the gender question
    session.say("yes")
    assert session.profile.ratings == {1: 5.0} and session.kind == "gender"


def test_which_one_is_answered_with_a_year() -> None:
    session = Session()
    session.start()
    session.say("back")
    session.say("Scrm 5")
    assert session.kind == "which" and any("Scream (1996)" in c for c in session.talk.question.choices)
    session.say("yes")
    assert session.said() == ["Which one? Say its year (e.g. 1996), or pick one of the choices."]
    assert session.kind == "which"
    session.say("1996")
    assert session.profile.ratings == {5: 5.0} and session.kind is None


# -- the watchlist and the seen list, a dropped file (issue 17) -------------------------------------


def test_list_words_change_the_lists_say_so_and_a_guess_waits_for_a_yes() -> None:
    session = Session()
    session.start()
    session.say("back")
    (edit,) = changes(session.say("add Heat to my watchlist"))
    assert session.profile.watchlist == [2] and edit.echo == "Put Heat (1995) on your watchlist — undo with ctrl+z"
    assert session.say("put heat on my list") and session.said() == ["Heat (1995) is on your watchlist already."]
    (edit,) = changes(session.say("seen Alien"))
    assert session.profile.seen == [1] and edit.echo == "Marked Alien (1979) as seen — undo with ctrl+z"
    assert session.kind == "movie" and "How did you like it?" in session.said()[-1]  # a rating may follow
    session.say("4")
    assert session.profile.ratings == {1: 4.0} and session.profile.seen == []  # rated: seen, with a rating
    assert session.say("seen Alien") and session.said() == ["You rated Alien (1979) 4★, so it counts as seen."]
    (edit,) = changes(session.say("remove Heat from my watchlist"))
    assert session.profile.watchlist == [] and edit.echo.startswith("Took Heat (1995) off your watchlist")
    effects = session.say("add Heats to my watchlist")  # a loose match: asked about, not done
    assert not changes(effects) and session.kind == "confirm" and session.profile.watchlist == []
    session.say("yes")
    assert session.profile.watchlist == [2]
    assert session.say("my watchlist") == [talk.ShowList("watchlist")]
    assert session.say("open my lists") == [talk.ShowList(None, open=True)]


def test_add_this_to_my_watchlist_is_the_focused_card_or_a_question() -> None:
    session = Session()
    session.start()
    session.say("back")
    (intent,) = parse("add this to my watchlist", TITLES)
    turn = session.talk.handle(intent, Situation(session.profile, CATALOG, CATALOG[3]))
    [change] = [e for e in turn.effects if isinstance(e, talk.Change)]
    assert change.edit.profile.watchlist == [3]
    turn = session.talk.handle(intent, Situation(session.profile, CATALOG, None))
    assert not [e for e in turn.effects if isinstance(e, talk.Change)]
    assert "Which movie?" in str(turn.effects[0].message)


def test_a_dropped_path_is_read_then_offered_and_imported_only_on_a_yes() -> None:
    session = Session()
    session.start()
    assert session.say("'/home/ana/My Films/ratings.csv'") == [talk.PreviewImport(("/home/ana/My Films/ratings.csv",))]
    offer = object()
    session.carry_out(session.talk.offer_import(offer, "ratings.csv: 3 rows. Import 3 ratings? yes / no"))
    assert session.kind == "import" and session.talk.expecting.kind == "confirm"
    assert session.say("yes")[0] == talk.ApplyImport(offer)
    assert session.kind == "age"  # the questions go on after the answer
    session.carry_out(session.talk.offer_import(offer, "Import?"))
    assert session.say("no")[0] == talk.Say("OK, nothing imported.")
    session.carry_out(session.talk.offer_import(offer, "Import?"))
    session.say("I'm 34")  # anything else moves on: the offer is dropped
    assert not any(isinstance(e, talk.ApplyImport) for e in session.effects) and session.kind != "import"
    assert session.say("yes") and "no question" in session.said()[0]


def test_not_seen_about_the_movie_asked_about_skips_it() -> None:
    session = Session()
    session.start()
    for answer in ("skip", "skip", "skip"):
        session.say(answer)
    assert session.kind == "seed" and session.talk.question.movie.title == "Alien"
    session.say("haven't seen Alien")
    assert session.kind == "seed" and session.talk.question.movie.title != "Alien"  # the next one
    assert not session.profile.seen and "not on your seen list" not in " ".join(session.said())
