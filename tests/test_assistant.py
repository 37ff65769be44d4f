"""The shopping assistant: scripted dialogues (zh/en), grounding over generated dialogues, policy citations,
sessions that survive a restart, photo turns, the REST and CLI doors, and a checker that can fail."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from typer.testing import CliRunner

from daogou.assistant.answers import ProductRef
from daogou.cli import app
from daogou.errors import BadQuery
from daogou.evaluate.assistant_eval import (
    build_fixture_shop, generate_dialogues, load_dialogues, load_policy_questions, run_dialogues, run_generated, run_policy, split_questions,
)
from daogou.serve.app import create_app
from daogou.shop import Shop

FIXTURES = Path(__file__).parent / "fixtures" / "assistant_shop"
POLICIES = Path(__file__).parent.parent / "daogou" / "policies"


@pytest.fixture(scope="module")
def guide(tmp_path_factory: pytest.TempPathFactory) -> Shop:
    shop = build_fixture_shop(tmp_path_factory.mktemp("guide") / "shop", FIXTURES, POLICIES)
    yield shop
    shop.close()


def test_scripted_dialogues_on_the_fixture_shop(guide: Shop) -> None:
    dialogues = load_dialogues(FIXTURES / "dialogues.txt")
    assert len(dialogues) >= 50 and {d.language for d in dialogues} == {"zh", "en"}
    result = run_dialogues(guide.chat, dialogues, guide.assistant.check)
    assert result["failures"] == []
    assert result["needless_questions"] == 0 and result["grounding_violations"] == 0
    assert result["joint_goal_accuracy"] == 1.0 and result["act_accuracy"] == 1.0


def test_generated_and_adversarial_dialogues_stay_grounded(guide: Shop) -> None:
    attributes = guide.searcher.attributes
    values = {name: sorted(attributes.catalog_values(name)) for name in ("type", "colour", "gender", "brand")}
    result = run_generated(guide.chat, guide.assistant.check, generate_dialogues(values, list(attributes.prices.values()), 120, seed=11))
    assert result["violations"] == 0, result["samples"]
    assert result["replies"] > 400 and {"show", "not_carried", "policy", "handover", "compare"} <= set(result["acts"])


def test_policy_answers_cite_their_section_and_unknowns_hand_over(guide: Shop) -> None:
    _, test = split_questions(load_policy_questions(FIXTURES / "policy_questions.tsv"))
    result = run_policy(guide.chat, test)
    assert result["answers_without_citation"] == 0
    assert result["hit@1"] >= 0.8 and result["unanswerable_handover_rate"] >= 0.8, result["failures"]
    reply = guide.chat("运费多少钱？")
    assert reply.act == "policy" and reply.citations == [{"doc": "policy.zh.md", "section": "配送 > 运费"}]
    assert "999" in reply.reply and "49" in reply.reply


def test_the_checker_catches_every_kind_of_ungrounded_claim(guide: Shop) -> None:
    reply = guide.chat("black running shoes for men")
    assert reply.act == "show" and not guide.assistant.check(reply)
    first = reply.products[0]
    reply.products[0] = ProductRef(first.id, first.title, (first.price or 0) + 1)
    assert any("price" in p for p in guide.assistant.check(reply))
    reply.products[0] = ProductRef("NOPE", "Invented shoe", 10)
    assert any("not in the catalog" in p for p in guide.assistant.check(reply))
    reply.products[0] = first
    assert any("7777" in p for p in guide.assistant.check(reply, reply.reply + " Only 7777 left!"))
    white = next(p for p in guide.store.iter_products() if p.attributes.get("colour") == "White" and p.attributes.get("type") == "Sports Shoes")
    reply.products.append(ProductRef(white.id, white.title, white.price))
    assert any("shopper asked for" in p for p in guide.assistant.check(reply))
    policy = guide.chat("how long does a refund take?")
    policy.facts["quoted"] = ["Refunds are issued within 2 working days."]
    assert any("not in the cited section" in p for p in guide.assistant.check(policy))
    policy.citations = []
    assert any("without a citation" in p for p in guide.assistant.check(policy))


def test_sessions_survive_a_restart_and_keep_the_state(guide: Shop) -> None:
    first = guide.chat("我想买跑步鞋")
    assert first.act == "ask" and first.language == "zh" and "男款还是女款" in first.reply
    reopened = Shop.open(guide.path)
    second = reopened.chat("女款", session_id=first.session_id)
    assert second.act == "show" and second.state["filters"] == {"type": ["Sports Shoes"], "gender": ["Women"]}
    assert reopened.assistant.session(first.session_id)["transcript"][0]["user"] == "我想买跑步鞋"
    reopened.close()


def test_bad_turns_get_clear_errors(guide: Shop) -> None:
    for kwargs, message in (({"text": ""}, "say something"), ({"text": "x" * 400}, "at most"), ({"text": "hi", "session_id": "../x"}, "session_id"),
                            ({"text": "hi", "language": "fr"}, "language")):
        with pytest.raises(BadQuery, match=message):
            guide.chat(**kwargs)


def test_chat_over_rest_and_a_photo_turn(guide: Shop) -> None:
    client = TestClient(create_app(guide.path))
    turn = client.post("/api/chat", json={"text": "red dress"}).json()
    assert turn["act"] == "show" and turn["state"]["filters"] == {"type": ["Dresses"], "colour": ["Red"]}
    assert {"session_id", "reply", "language", "act", "state", "products", "citations", "handover"} <= set(turn)
    assert all(set(p) >= {"id", "title", "price"} for p in turn["products"])
    follow = client.post("/api/chat", json={"text": "compare the first and the second", "session_id": turn["session_id"]}).json()
    assert follow["act"] == "compare" and len(follow["table"]) == 2
    assert client.post("/api/chat", json={"text": ""}).status_code == 422
    assert client.post("/api/chat", json={"text": "hi", "session_id": "a b"}).status_code == 422
    assert client.get(f"/api/admin/chat/{turn['session_id']}").status_code in (401, 403)
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "red").save(buffer, "JPEG")
    photo = client.post("/api/chat/photo", files={"image": ("p.jpg", buffer.getvalue(), "image/jpeg")}, data={"text": "like this"})
    assert photo.status_code == 409 and "photo" in photo.json()["detail"].lower()  # this shop has no photos to compare with
    assert client.post("/api/chat/photo", files={"image": ("p.txt", b"hello", "text/plain")}).status_code == 415


def test_chat_cli_script_prints_one_json_object_per_turn(guide: Shop, tmp_path: Path) -> None:
    script = tmp_path / "turns.txt"
    script.write_text("I want running shoes\nfor men\nnot Nike\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["chat", str(guide.path), "--script", str(script), "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.strip().splitlines()]
    assert [line["act"] for line in lines] == ["ask", "show", "show"]
    assert lines[-1]["state"]["exclusions"] == {"brand": ["Nike"]} and len({line["session_id"] for line in lines}) == 1


def test_myntra_dialogues(myntra_shop: Shop, tmp_path: Path) -> None:
    import shutil

    shutil.copytree(myntra_shop.path, tmp_path / "shop")
    with Shop.open(tmp_path / "shop") as shop:
        for doc in sorted(POLICIES.glob("*.md")):
            shop.import_docs(doc)
        result = run_dialogues(shop.chat, load_dialogues(FIXTURES / "dialogues_myntra.txt"), shop.assistant.check)
        assert result["failures"] == [] and result["needless_questions"] == 0 and result["grounding_violations"] == 0
        # a photo in a turn: a photo search plus the words, and the photo's type becomes the state
        shoe = next(p for p in shop.store.iter_products() if p.attributes.get("type") == "Casual Shoes")
        first = shop.chat("hello")
        reply = shop.chat("like this", session_id=first.session_id, image=Path(shoe.image_path).read_bytes())
        assert reply.act == "show" and reply.state["filters"]["type"] == ["Casual Shoes"] and shoe.id in {p.id for p in reply.products}
        assert not shop.assistant.check(reply)
        cheaper = shop.chat("in black", session_id=first.session_id)
        assert cheaper.state["filters"]["type"] == ["Casual Shoes"] and cheaper.state["filters"]["colour"] == ["Black"]


def test_llm_rewording_is_used_only_when_it_keeps_every_fact(guide: Shop) -> None:
    from daogou.assistant.service import Assistant

    base = guide.assistant
    calls: list[str] = []

    def honest(reply):  # type: ignore[no-untyped-def]
        calls.append(reply.reply)
        return "Good news! " + reply.reply

    def liar(reply):  # type: ignore[no-untyped-def]
        return reply.reply.replace("5,995", "4,995") + " Only 2 left!"

    def drops_negation(reply):  # type: ignore[no-untyped-def]
        return reply.reply.replace("don't", "do")

    assert Assistant(base.services, base.policy, honest).turn("black running shoes for men").reply.startswith("Good news! ") and calls
    lied = Assistant(base.services, base.policy, liar).turn("Nike black running shoes for men")
    assert "4,995" not in lied.reply and "Only 2 left" not in lied.reply
    kept = Assistant(base.services, base.policy, drops_negation).turn("I want a laptop")
    assert kept.act == "not_carried" and "don't carry" in kept.reply
