"""Write processes/leeds/cohort/leeds-2021-22.jsonl: the synthetic Leeds 2021-22 cohort as engine steps.

The eleven cases are synthetic (pseudonyms only); only the aggregates are published facts (seed 002,
the Leeds report to Scrutiny Board of 8 March 2023, sections 3.1-3.3 and 4). Dates are computed on the
England & Wales working-day calendar, so every step is one the engine accepts on its day.

    .venv/bin/python scripts/make_leeds_cohort.py          # rewrite the file
    .venv/bin/python scripts/make_leeds_cohort.py --check  # exit 1 when the file is out of date
"""

from __future__ import annotations

import json
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from reviewflow.engine.calendar.workdays import calendar_for
from reviewflow.engine.definition.model import CalendarSpec

OUT = Path(__file__).resolve().parent.parent / "processes" / "leeds" / "cohort" / "leeds-2021-22.jsonl"
CAL = calendar_for(CalendarSpec())
# Cases aware from May 2021 to October 2022 ran under Working Together 2018: the Leeds definition of that
# edition (in force to 14 December 2023), not leeds-rapid-review, which starts on 15 December 2023.
PROCESS = "leeds-rapid-review-2018"
AGENCIES = ["children_social_care", "health", "police"]

# ref, pseudonym, aware, age band, sex, harm, review type, themes, notify after (WD), RR meeting (WD after
# notification), RR sent (calendar days after the meeting), CSPR final report (days after the decision)
CASES: list[tuple[Any, ...]] = [
    ("LEEDS-RR-2021-01", "Child A", "2021-05-17", "under_1", "male", "died", "local_cspr",
     ["domestic_abuse", "covid_impact", "professional_curiosity"], 3, 10, 1, 170),
    ("LEEDS-RR-2021-02", "Child B", "2021-06-28", "age_1_to_4", "female", "seriously_harmed", "no_further_review",
     ["covid_impact", "safeguarding_approaches"], 4, 11, 1, None),
    ("LEEDS-RR-2021-03", "Child C", "2021-08-09", "age_5_to_11", "female", "seriously_harmed", "single_agency_review",
     ["escalation", "professional_curiosity", "disguised_compliance"], 2, 9, 2, None),
    ("LEEDS-RR-2021-04", "Child D", "2021-09-20", "age_1_to_4", "male", "seriously_harmed", "local_cspr",
     ["domestic_abuse", "disguised_compliance", "covid_impact", "bereavement"], 5, 12, 1, 175),
    ("LEEDS-RR-2021-05", "Child E", "2021-12-21", "age_12_plus", "female", "died", "no_further_review",
     ["complex_health_needs", "covid_impact"], 7, 10, 1, None),
    ("LEEDS-RR-2022-01", "Child F", "2022-01-24", "under_1", "female", "seriously_harmed", "local_cspr",
     ["domestic_abuse", "professional_curiosity", "safeguarding_approaches"], 3, 11, 1, 199),
    ("LEEDS-RR-2022-02", "Child G", "2022-03-14", "age_1_to_4", "male", "seriously_harmed", "practice_learning_set",
     ["escalation", "risk_assessment", "covid_impact"], 2, 13, 7, None),
    ("LEEDS-RR-2022-03", "Child H", "2022-05-23", "age_5_to_11", "female", "seriously_harmed", "no_further_review",
     ["domestic_abuse", "bereavement"], 4, 10, 1, None),
    ("LEEDS-RR-2022-04", "Child I", "2022-07-11", "age_1_to_4", "female", "died", "local_cspr",
     ["domestic_abuse", "risk_assessment", "professional_curiosity", "covid_impact"], 1, 9, 1, None),
    ("LEEDS-RR-2022-05", "Child J", "2022-09-12", "age_5_to_11", "male", "seriously_harmed", "appreciative_inquiry",
     ["complex_health_needs", "safeguarding_approaches"], 3, 10, 2, None),
    ("LEEDS-RR-2022-06", "Child K", "2022-10-31", "age_1_to_4", "male", "seriously_harmed", "no_further_review",
     ["domestic_abuse", "bereavement", "escalation", "professional_curiosity", "safeguarding_approaches"],
     4, 11, 1, None),
]
OPTION = {"local_cspr": "local_cspr", "no_further_review": "no_further_review"}
PANEL_WD = 8  # the Panel's response, working days after the rapid review was sent (synthetic)


def wd(d: date, n: int) -> date:
    return CAL.add_working_days(d, n)


def iso(d: date) -> str:
    return d.isoformat()


def case_steps(ref: str, pseudonym: str, aware_text: str, age: str, sex: str, harm: str, review: str,
               themes: list[str], notify_wd: int, meeting_wd: int, sent_days: int,
               report_days: int | None) -> list[dict[str, Any]]:
    aware = date.fromisoformat(aware_text)
    notified = wd(aware, notify_wd)
    requested = wd(notified, 1)
    shared = wd(requested, 4)
    meeting = wd(notified, meeting_wd)
    decided = meeting + timedelta(days=1 if sent_days > 1 else 0)
    sent = meeting + timedelta(days=sent_days)
    option = OPTION.get(review, "other_learning_review")
    s: list[dict[str, Any]] = [
        {"step": "open", "process": PROCESS, "ref": ref, "at": iso(aware), "by": "local_authority",
         "pseudonym": pseudonym, "set": {"harm": harm, "abuse_or_neglect": True, "age_band": age, "sex": sex,
                                         "agencies": AGENCIES, "themes": themes, "raised_via": "local_authority_direct"}},
        {"step": "recommend", "ref": ref, "gate": "notification_decision", "option": "notify", "at": iso(aware),
         "by": "rag", "rationale": "Abuse or neglect suspected and the s16C(1) harm test met"},
        {"step": "decide", "ref": ref, "gate": "notification_decision", "option": "notify", "at": iso(aware),
         "by": "local_authority", "rationale": "s16C(1) criteria met"},
        {"step": "record", "ref": ref, "event": "notified_panel", "at": iso(notified), "by": "local_authority"},
        {"step": "record", "ref": ref, "event": "reported_to_partners", "at": iso(notified), "by": "local_authority"},
        {"step": "record", "ref": ref, "event": "information_requested", "at": iso(requested),
         "by": "business_manager"},
    ]
    s += [{"step": "record", "ref": ref, "event": "scoping_template_returned", "agency": a, "at": iso(wd(requested, 3)),
           "by": "relevant_agency"} for a in AGENCIES]
    s += [
        {"step": "record", "ref": ref, "event": "scoping_shared", "at": iso(shared), "by": "business_manager"},
        {"step": "record", "ref": ref, "event": "rapid_review_meeting_held", "at": iso(meeting), "by": "rag"},
        {"step": "recommend", "ref": ref, "gate": "cspr_decision", "option": option, "at": iso(meeting), "by": "rag",
         "rationale": "Recommendation of the rapid review meeting"},
    ]
    s += [{"step": "decide", "ref": ref, "gate": "cspr_decision", "option": option, "at": iso(decided), "by": p,
           "rationale": "Agree with the RAG's recommendation"} for p in ("local_authority", "health", "police")]
    s += [{"step": "record", "ref": ref, "event": "agencies_informed", "at": iso(sent), "by": "business_manager"},
          {"step": "record", "ref": ref, "event": "rapid_review_sent", "at": iso(sent), "by": "lscp_executive",
           "set": {"review_type": review}},
          # The Panel responds to every rapid review (base event panel_responded; no deadline, D-10): here it
          # agrees, 8 working days after the rapid review reached it (an invented date). Without it a case
          # whose outcome is a local review or no further review would wait for the Panel for ever.
          {"step": "record", "ref": ref, "event": "panel_responded", "at": iso(wd(sent, PANEL_WD)),
           "by": "national_panel", "set": {"panel_response": "agreed"}}]
    if review == "local_cspr":
        appointed = wd(sent, 10)
        s += [{"step": "record", "ref": ref, "event": "reviewer_appointed", "at": iso(appointed),
               "by": "lscp_executive"},
              {"step": "record", "ref": ref, "event": "commissioning_notified", "at": iso(wd(appointed, 2)),
               "by": "lscp_executive"}]
        if report_days is not None:
            s.append({"step": "record", "ref": ref, "event": "final_report_received",
                      "at": iso(decided + timedelta(days=report_days)), "by": "reviewer"})
    return s


def action(ref: str, at: str, finding: str, agency: str, role: str, cases: list[str], themes: list[str],
           **more: Any) -> dict[str, Any]:
    return {"step": "action", "plan": "leeds-action-plan", "ref": ref, "at": at, "by": "rag", "finding": finding,
            "owner_agency": agency, "owner_role": role, "from_cases": cases, "themes": themes, **more}


def actions() -> list[dict[str, Any]]:
    """Actions grounded in the partnership's responses of seed 002 section 4 (dates synthetic)."""
    a, c, d, e, f, g, h, i, j, k = (f"LEEDS-RR-{x}" for x in ("2021-01", "2021-03", "2021-04", "2021-05", "2022-01",
                                                             "2022-02", "2022-03", "2022-04", "2022-05", "2022-06"))
    return [
        action("LEEDS-A-01", "2022-02-15", "Professional curiosity not evident, or not recorded", "partnership",
               "LSCP Business Manager", [a, c, f], ["professional_curiosity", "disguised_compliance"],
               due="2022-09-30", success_criteria="City-wide professional curiosity resources agreed with Safer "
               "Stronger Communities and the Leeds Safeguarding Adults Board"),
        {"step": "action_update", "ref": "LEEDS-A-01", "at": "2022-06-01", "by": "business_unit",
         "progress": "Partner agency survey on promoting professional curiosity completed"},
        {"step": "action_update", "ref": "LEEDS-A-01", "at": "2022-09-20", "by": "rag", "extend_to": "2023-03-31",
         "reason": "Joint work with the Safeguarding Adults Board runs into 2023"},
        action("LEEDS-A-02", "2022-10-20", "Professional curiosity: learning to reach the regional workforce",
               "partnership", "LSCP Training and Development Officer", [a, f, i], ["professional_curiosity"],
               due="2023-05-31", success_criteria="Yorkshire and Humber Masterclass series delivered in Spring 2023"),
        action("LEEDS-A-03", "2022-05-10", "Concerns not escalated, or escalations not resolved", "partnership",
               "LSCP Business Manager", [c, g], ["escalation"], within="5 months",
               success_criteria="Concerns Resolution Process guidance reissued, recording reiterated"),
        {"step": "action_update", "ref": "LEEDS-A-03", "at": "2022-10-25", "by": "business_unit",
         "evidence": "Guidance and practitioner messages reissued; recording reiterated in the guidance"},
        {"step": "action_update", "ref": "LEEDS-A-03", "at": "2022-10-25", "by": "business_unit", "completed": True},
        {"step": "assess", "ref": "LEEDS-A-03", "at": "2022-12-12", "by": "rag", "rating": "partly_evident",
         "narrative": "Early use of the process is now recorded in some agencies; confidence remains an issue"},
        action("LEEDS-A-04", "2022-10-04", "Access to medical support for a child with complex health needs staying "
               "out of area", "health", "Designated Professional for Safeguarding Children", [e, j],
               ["complex_health_needs"], due="2022-11-30",
               success_criteria="LSCP Policy for Children with Complex Health Needs Travelling Abroad covers "
               "travelling out of area"),
        {"step": "action_update", "ref": "LEEDS-A-04", "at": "2022-11-18", "by": "owner_agency", "completed": True},
        {"step": "assess", "ref": "LEEDS-A-04", "at": "2022-12-12", "by": "rag", "rating": "evident",
         "narrative": "Policy updated in November 2022 to include travelling out of area"},
        {"step": "close", "ref": "LEEDS-A-04", "at": "2022-12-12", "by": "rag", "closure": "achieved"},
        action("LEEDS-A-05", "2022-09-13", "Agencies do not understand each other's risk assessment of Registered "
               "Sex Offenders", "police", "Head of Safeguarding, Leeds District", [g, i], ["risk_assessment"],
               due="2022-12-16", success_criteria="Multi-agency workshop on the oversight of Registered Sex "
               "Offenders held"),
        action("LEEDS-A-06", "2022-11-29", "Balance between supporting bereaved families and assessing risk",
               "partnership", "LSCP Business Manager", [d, h, k], ["bereavement"], within="3 months",
               success_criteria="Discussion at a Leeds Children and Young People Partnership bi-annual meeting"),
        action("LEEDS-A-07", "2022-07-19", "Recording and assessment of domestic abuse, including historical abuse "
               "and first pregnancies", "children_social_care", "Head of Service, Domestic Violence and Abuse",
               [a, d, f], ["domestic_abuse"], due="2022-12-09", answers="recommendation",
               success_criteria="LSCP Domestic Abuse Review recommendations accepted by partners"),
        {"step": "action_update", "ref": "LEEDS-A-07", "at": "2022-12-20", "by": "owner_agency", "completed": True},
    ]


def outputs() -> list[dict[str, Any]]:
    base = {"definition": "leeds-learning-outputs", "by": "business_unit_team"}
    a, b, c, d, e, g = ("LEEDS-RR-2021-01", "LEEDS-RR-2021-02", "LEEDS-RR-2021-03", "LEEDS-RR-2021-04",
                        "LEEDS-RR-2021-05", "LEEDS-RR-2022-02")
    return [
        {**base, "step": "learning", "ref": "LEEDS-L-01", "at": "2022-03-01", "kind": "learning_brief",
         "title": "Learning brief: Child A (interim learning from the rapid review)",
         "audience": "Partner agencies and their training leads", "channel": "Email and LSCP website",
         "from_cases": [a], "themes": ["domestic_abuse", "professional_curiosity"]},
        {**base, "step": "learning", "ref": "LEEDS-L-02", "at": "2022-04-04", "kind": "training_update",
         "title": "LSCP Refresher Training: learning from reviews", "audience": "Multi-agency practitioners",
         "channel": "LSCP Refresher Training", "from_cases": [a, d], "sessions": 6, "attendees": 180,
         "themes": ["domestic_abuse", "covid_impact"]},
        {"step": "reach", "ref": "LEEDS-L-02", "at": "2022-10-03", "by": "business_unit_team", "sessions": 4,
         "attendees": 120},
        {**base, "step": "learning", "ref": "LEEDS-L-03", "at": "2022-06-16", "kind": "presentation",
         "title": "Learning from reviews", "audience": "Leeds Children and Young People Partnership",
         "channel": "Partnership meeting", "from_cases": [b, e], "sessions": 1, "attendees": 35,
         "themes": ["complex_health_needs", "safeguarding_approaches"]},
        {**base, "step": "learning", "ref": "LEEDS-L-04", "at": "2022-10-12", "kind": "practitioner_session",
         "title": "Escalation and the Concerns Resolution Process", "audience": "Frontline practitioners",
         "channel": "Online sessions", "from_cases": [c, g], "sessions": 3, "attendees": 140,
         "themes": ["escalation"]},
        {**base, "step": "learning", "ref": "LEEDS-L-05", "at": "2022-11-15", "kind": "learning_brief",
         "title": "Learning brief: Child D", "audience": "Partner agencies and their training leads",
         "channel": "Email and LSCP website", "from_cases": [d], "themes": ["bereavement", "disguised_compliance"]},
    ]


def all_steps() -> list[dict[str, Any]]:
    steps = [step for case in CASES for step in case_steps(*case)]
    steps += actions() + outputs()
    return sorted(steps, key=lambda s: s["at"])  # stable: each record's own steps keep their order


def text() -> str:
    head = ["# The Leeds 2021-22 cohort: 11 SYNTHETIC rapid reviews (pseudonyms only) whose aggregates match the",
            "# published figures of the LSCP report to Scrutiny Board, 8 March 2023 (seed 002, sections 3.1-3.3),",
            "# with actions and learning outputs drawn from its section 4. The cases open under leeds-rapid-review-2018",
            "# (the WT2018 edition in force when they arose). Generated by scripts/make_leeds_cohort.py;",
            "# replayed by `reviewflow import-cohort leeds-2021-22`. See processes/leeds/cohort/README.md."]
    return "\n".join(head + [json.dumps(s, ensure_ascii=False) for s in all_steps()]) + "\n"


if __name__ == "__main__":
    if "--check" in sys.argv[1:]:
        sys.exit(0 if OUT.read_text(encoding="utf-8") == text() else 1)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text(), encoding="utf-8")
    print(f"wrote {OUT}")
