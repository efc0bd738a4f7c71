"""What demo escalations are about: per policy category a few scenarios (a title and the
sentences that go with it), sentences shared by the category, tags and hashtags.

Placeholders (``str.format_map``): city, country, handle, url, cid, views, shares,
earlier (a local time before the report), n, m, k (numbers), lang, hashtag; and with their
indefinite article (never write "a {lang}": it would read "a Indonesian"): a_lang ("an
Indonesian"), a_nationality ("an Australian"), a_age ("an 11", for "-year-old").
Reporter-specific wording lives in ``phrases.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

from rr_desktop.domain.enums import PolicyCategory as C


@dataclass(frozen=True, slots=True)
class Scenario:
    """One kind of report: its title and the detail sentences that explain it, in order."""

    title: str
    details: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CategoryText:
    """What escalations of one policy category say and how they are tagged."""

    scenarios: tuple[Scenario, ...]
    shared: tuple[str, ...]
    tags: tuple[str, ...]
    hashtags: tuple[str, ...]


def _s(title: str, *details: str) -> Scenario:
    return Scenario(title, details)


CATEGORY_TEXT: dict[C, CategoryText] = {
    C.VIOLENT_EXTREMISM: CategoryText((
        _s("Livestream of armed attack in {city} being re-shared",
           "The clip shows the first minutes of the attack filmed from the attacker's point of "
           "view, cut from a livestream that ran for about {n} minutes.",
           "At least {m} copies carry a caption praising the attacker; several are cropped or "
           "mirrored to evade hash matching.",
           "Police in {city} have confirmed casualties and the footage shows victims' faces."),
        _s("Perpetrator manifesto circulating after {city} attack",
           "{handle} pinned a link to a PDF manifesto in the comments of content id {cid}.",
           "The document names further targets in {city} and is being translated into {lang}.",
           "Copies of the link are posted under unrelated trending videos."),
        _s("Recruitment video for proscribed group targeting {lang} speakers",
           "The video mixes battlefield footage with a nasheed associated with a designated "
           "organisation and ends with a messaging-app invite.",
           "{handle} has posted {n} similar videos this week, each with a new account name.",
           "Comments ask how to travel and who to contact in {city}."),
    ), ("Tech Against Terrorism shared {k} hashes of known variants.",
        "The crisis protocol threshold for {country} may be met if copies keep spreading."),
        ("livestream", "terrorism", "re-upload", "gifct", "crisis-protocol"),
        ("{city}attack", "prayfor{city}", "breaking{country}")),
    C.CHILD_SAFETY: CategoryText((
        _s("Suspected grooming of minors by {handle} via comments and DMs",
           "The account sends gifts to users who appear to be 12 to 14 years old and asks them "
           "to continue the conversation on an external messaging app.",
           "{m} accounts following {handle} were created in the last 48 hours and share a "
           "device fingerprint.",
           "A parent in {city} says their child was contacted {n} times after a livestream."),
        _s("Sexualised content involving a minor re-uploaded in {country}",
           "Content id {cid} appears to show a minor; view only what triage needs and report "
           "to NCMEC.",
           "The profile bio advertises 'private content' behind a link shortener that resolves "
           "to a known exploitation forum.",
           "Near-duplicates are circulating with {lang} captions."),
        _s("Livestream with apparent minor receiving coercive gift requests",
           "Viewers in the live chat ask the streamer, who looks about 13, to do things in "
           "exchange for gifts.",
           "The stream started at {earlier} and has {n} concurrent viewers from several countries.",
           "The same gifting accounts appeared in {m} other streams by young users this week."),
    ), ("Any confirmed material must be hashed and preserved for law enforcement.",
        "The account's followers include {k} accounts previously banned for child safety."),
        ("csam", "grooming", "ncmec", "minor-safety", "hash-candidate"),
        ("fyp{city}", "teen{country}", "ootd")),
    C.SUICIDE_SELF_HARM: CategoryText((
        _s("User in {city} livestreaming with expressed intent of self-harm",
           "The user said on the livestream at {earlier} that tonight would be their last and "
           "showed medication on the table.",
           "Viewers are posting the user's neighbourhood in the comments and asking for help.",
           "Emergency services in {city} may need the account's last known location."),
        _s("Self-harm imagery trend spreading among {lang}-speaking teens",
           "The trend pairs images of fresh wounds with a song and the hashtag #{hashtag}.",
           "{m} videos use the same sound; most creators appear to be teenagers.",
           "The resources banner does not trigger because captions use coded spelling."),
        _s("Possible imminent risk: farewell post by {handle}",
           "The post thanks friends by name and gives away belongings.",
           "The creator's previous posts mention a breakup and losing a job in {city}.",
           "Friends commented that they cannot reach the creator by phone."),
    ), ("Comments under content id {cid} encourage the creator instead of offering help.",
        "Local helpline details for {country} are in the playbook overlay."),
        ("imminent-risk", "wellbeing", "emergency-services", "coded-language"),
        ("sad{city}", "kms", "goodbye")),
    C.DANGEROUS_CHALLENGES: CategoryText((
        _s("'Blackout' style challenge trending in {country}",
           "The challenge asks participants to hold their breath until they faint and tag "
           "three friends; most participants appear to be under 16.",
           "The hashtag #{hashtag} gained {m} new videos in the past six hours.",
           "Search suggestions already autocomplete the challenge name in {lang}."),
        _s("Dangerous stunt challenge linked to hospitalisation in {city}",
           "Local media in {city} report that {a_age}-year-old was hospitalised after trying it.",
           "The original video by {handle} is a stitch of an older clip with a new sound.",
           "Copycat videos show jumps from moving motorbikes on public roads."),
        _s("Train-surfing challenge videos from {city} going viral",
           "Teenagers film themselves riding on the roof of commuter trains near {city}.",
           "Rail operators have asked platforms to remove the videos before the weekend.",
           "{m} videos were uploaded after a creator with a large following joined in."),
    ), ("Similar challenges caused deaths in other markets last year.",
        "A search intervention and a warning label are the usual first steps."),
        ("challenge", "minor-safety", "trend", "search-intervention"),
        ("{city}challenge", "dare{country}", "trynottopassout")),
    C.HATE_SPEECH: CategoryText((
        _s("Coordinated slurs against a religious minority in {city}",
           "The videos use {a_lang} slur from the regional hate-speech lexicon over footage of "
           "a place of worship in {city}.",
           "The same caption appears on {m} accounts within ten minutes.",
           "Several uploads call for a boycott and the 'cleansing' of the neighbourhood."),
        _s("Hateful remix targeting migrants circulating in {lang}",
           "A popular song has been remixed with lyrics calling migrants vermin.",
           "Content id {cid} overlays the slur on a news clip to evade text matching.",
           "Creators in {city} are duetting the remix with footage of migrant workers' housing."),
        _s("Dehumanising posts after communal clash in {city}",
           "Tensions are high after a clash reported at {earlier}; civil society groups fear "
           "offline violence.",
           "Posts share the names and shops of members of the targeted community.",
           "{handle} is live-commenting the clash and urging followers to gather."),
    ), ("The lexicon entry for this slur may need updating for {country}.",
        "Most accounts involved were created within the last month."),
        ("hate-speech", "coordinated", "communal-tension", "lexicon-update"),
        ("{city}", "save{country}", "wakeup{country}")),
    C.HARASSMENT_DOXXING: CategoryText((
        _s("Journalist in {city} doxxed with home address",
           "The post reveals the home address of the journalist and the school of their "
           "children.",
           "{m} accounts replied with threats within the first hour.",
           "The journalist reported earlier threats to police in {city}."),
        _s("Pile-on harassment of {handle} after viral clip",
           "A clip of the creator arguing with a shopkeeper was cut out of context.",
           "Replies include rape threats and edited images of the creator.",
           "The creator has stopped posting and their family is receiving calls."),
        _s("Private phone numbers of activists posted by {handle}",
           "Content id {cid} contains a spreadsheet screenshot with {n} phone numbers.",
           "Several replies call for people to 'visit' the activists this weekend.",
           "The activists are organising a protest in {city} next week."),
    ), ("The targets are women in all but one case.",
        "Earlier reports about the same accounts were closed as not violating."),
        ("doxxing", "pii", "journalist-safety", "pile-on"),
        ("expose{city}", "cancel{country}", "{city}")),
    C.MISINFO_CIVIC: CategoryText((
        _s("False claim that voting in {city} is postponed",
           "The video claims polling in {city} has moved to next week; the election "
           "commission has issued no such notice.",
           "The claim was repeated by {m} accounts with election-related handles in an hour.",
           "Fact-checkers rated the claim false at {earlier}."),
        _s("Deepfake of candidate announcing withdrawal, {country}",
           "Audio analysis suggests the candidate's voice is synthetic; the lip-sync drifts "
           "after {n} seconds.",
           "The campaign has publicly denied the withdrawal.",
           "The clip is spreading fastest among {lang} speakers."),
        _s("Fabricated ballot-stuffing video from {city} polling station",
           "The footage is from a local election six years ago in another province.",
           "New captions claim it was filmed this morning in {city}.",
           "{handle} is asking followers to gather outside the counting centre."),
    ), ("The election silence period in {country} starts in {n} hours.",
        "The election integrity taskforce wants all related reports grouped."),
        ("election", "civic-integrity", "deepfake", "fact-check"),
        ("election2026", "vote{country}", "{city}decides")),
    C.MISINFO_HEALTH: CategoryText((
        _s("Viral claim that a herbal drink cures dengue in {city}",
           "The video tells viewers to stop prescribed treatment and drink a mixture sold by "
           "the creator.",
           "Content id {cid} links to a shop selling the product for cash on delivery.",
           "Doctors in {city} report patients delaying care after seeing the video."),
        _s("Vaccine infertility hoax spreading in {lang}",
           "The clip shows a man in a lab coat claiming vaccines cause infertility.",
           "It is timed with a national vaccination campaign in {country}.",
           "{m} re-uploads add a fake news-channel logo."),
        _s("Fake health ministry circular about outbreak in {city}",
           "The circular uses an outdated ministry letterhead and a fake signature.",
           "It tells residents of {city} to avoid hospitals for the next week.",
           "The ministry confirmed the circular is fake at {earlier}."),
    ), ("The claim was rated false by {k} fact-checkers in the region.",
        "Health authority guidance in {lang} is available for an information panel."),
        ("health-misinfo", "medical", "fact-check", "commerce-link"),
        ("dengue", "naturalcure", "health{country}")),
    C.MISINFO_CRISIS: CategoryText((
        _s("Old flood footage presented as today's disaster in {city}",
           "The footage dates from a flood years ago and carries today's date.",
           "{m} re-uploads appeared after the weather agency's alert.",
           "Residents of {city} are sharing it in neighbourhood groups."),
        _s("False evacuation order circulating after earthquake near {city}",
           "The fake order tells residents of {city} to move towards a bridge that is closed.",
           "Emergency services asked platforms to label or remove the claim at {earlier}.",
           "{handle} posted it first; the account was created yesterday."),
        _s("Fake donation appeal exploiting typhoon victims in {country}",
           "The donation link points to a personal e-wallet, not a registered charity.",
           "The appeal reuses photos from a news agency without credit.",
           "{n} users commented that they had already sent money."),
    ), ("The national disaster agency is the authoritative source for {country}.",
        "The crisis playbook recommends labels rather than removal unless harm is imminent."),
        ("crisis", "natural-disaster", "label-candidate", "scam-overlap"),
        ("prayfor{city}", "flood{country}", "typhoon")),
    C.IMPERSONATION_SCAMS: CategoryText((
        _s("Deepfake investment ad using {a_nationality} public figure",
           "The ad uses a synthetic video of a well-known presenter endorsing a crypto "
           "platform.",
           "Victims are sent to a site that asks for a deposit and a copy of their ID.",
           "Police in {city} have received {n} complaints about the platform."),
        _s("Bank impersonation accounts phishing users in {city}",
           "{m} accounts use the bank's logo and a handle that differs by one character.",
           "Victims are asked for their banking one-time passwords in direct messages.",
           "The bank's fraud team confirmed at {earlier} that the accounts are not theirs."),
        _s("Job scam recruiting {lang} speakers for overseas work",
           "The post promises well-paid jobs abroad with free flights and housing.",
           "It matches known scam-compound recruitment linked to human trafficking.",
           "{handle} asks applicants to send passport scans by message."),
    ), ("The accounts are linked by payment details and device signals.",
        "The scam cluster detector found {k} related accounts."),
        ("scam", "impersonation", "fraud", "network"),
        ("giveaway", "investasi", "jobsabroad")),
    C.PRIVACY: CategoryText((
        _s("Non-consensual intimate images of a woman in {city} shared",
           "The victim contacted the reporter directly and confirmed she did not consent.",
           "The images have been reposted with her name and employer in the caption.",
           "The uploader threatens to release more unless paid, suggesting sextortion."),
        _s("Leaked patient records posted in {lang}",
           "The leak includes national ID numbers and phone numbers of patients.",
           "The hospital in {city} confirmed a data breach at {earlier}.",
           "Content id {cid} is one of {m} near-duplicates."),
        _s("Personal data of {n} students posted by {handle}",
           "The post lists the names, classes and home addresses of students at a school in "
           "{city}.",
           "Comments mock individual students by name.",
           "The school's principal asked for removal by email."),
    ), ("Hashes can be generated once the images are reviewed.",
        "The affected people are in {country} and may also contact the regulator."),
        ("ncii", "pii", "privacy", "sextortion"),
        ("viral{city}", "leak", "scandal{country}")),
    C.INTELLECTUAL_PROPERTY: CategoryText((
        _s("Live sports piracy stream from {city} with paid links",
           "The stream restreams a broadcaster's live match feed.",
           "The description advertises a paid channel for the next match.",
           "{n} similar streams started at {earlier}."),
        _s("Unlicensed film uploads before theatrical release in {country}",
           "The uploads split the film into {n} parts to avoid detection.",
           "The rights holder lists {m} URLs in the notice, including content id {cid}.",
           "The distributor says the release in {city} is next week."),
        _s("Counterfeit goods shop run by {handle}",
           "The shop links to an external marketplace selling counterfeit branded goods.",
           "The brand owner provided trademark registration numbers for {country}.",
           "Previous notices against the same account were resolved within 48 hours."),
    ), ("The notice is complete under the repeat-infringer policy.",),
        ("copyright", "counterfeit", "rights-holder", "live-sports"),
        ("livestream", "nonton", "freemovie")),
    C.REGULATORY_LEGAL: CategoryText((
        _s("Court order to restrict access to content in {country}",
           "The order cites local law and lists {m} URLs, including content id {cid}.",
           "Legal needs to confirm whether geo-restriction in {country} satisfies the order.",
           "A response template exists in the country playbook overlay."),
        _s("Preservation request for {handle} account data",
           "The request asks to preserve subscriber information and IP logs for {n} days.",
           "It relates to an investigation in {city}.",
           "Disclosure requires a separate legal process."),
        _s("Government request to remove political satire in {country}",
           "The video mocks a minister in {lang} and has no other policy issues.",
           "Public Policy should check the request against our human rights commitments.",
           "Similar requests were published in the last transparency report."),
    ), ("Log every step for the transparency report.",),
        ("legal", "government-request", "human-rights-review", "geo-restriction"),
        ("{country}", "satire", "policy")),
    C.OTHER: CategoryText((
        _s("Spam network flooding comments in {city}",
           "The accounts post the same emoji string and a link shortener under popular videos.",
           "{m} accounts were created within the same minute and follow each other.",
           "Content id {cid} is the most viewed example."),
        _s("Unclear report about {handle}, needs triage",
           "The reporter did not specify a policy; the content appears to be commercial spam.",
           "The account posts in {lang} and has {n} videos.",
           "Nothing obviously violating was found in a first look."),
        _s("Bot accounts amplifying a brand hashtag in {country}",
           "The hashtag #{hashtag} gained {m} posts in an hour, mostly from new accounts.",
           "The accounts have no profile photos and follow the same {n} creators.",
           "The brand says it did not run a campaign."),
    ), ("It may belong in a queue other than Rapid Response.",),
        ("spam", "needs-triage", "bot-network"),
        ("promo", "{city}", "fyp")),
}
