"""Every user-facing string of `tsukuru cost` and `tsukuru cleanup`, in one table.

Same pattern as `cli_messages.py`: keyed `str.format` templates, no Rich markup, in English and
Japanese with the same keys; the locale (`LC_ALL`, `LC_MESSAGES`, `LANG`) picks the table.
"""

from __future__ import annotations

from tsukuru.cli_messages import wants_japanese

ENGLISH: dict[str, str] = {
    # help texts
    "help_cost": "Show what every resource would have cost on AWS, and what is billing now.",
    "help_cost_json": "Print the ledger as JSON.",
    "help_cost_all": "Also list models, endpoint configs and empty buckets or log groups one by"
    " one.",
    "help_cleanup": "Delete endpoints and stop notebook instances (and more with --include), so"
    " nothing keeps billing.",
    "help_dry_run": "Only show what would be deleted or stopped.",
    "help_yes": "Do not ask for confirmation.",
    "help_older_than": "Only resources created more than this long ago, e.g. 30m, 2h, 7d.",
    "help_include": "Also delete these, comma-separated: models, configs, buckets, logs.",
    # errors
    "bad_older_than": "error: --older-than wants a number and a unit (s, m, h, d or w), like 2h;"
    " got {value!r}",
    "bad_include": "error: --include takes {choices}; got {value!r}",
    "ledger_failed": "error: the platform at {url} could not report costs (HTTP {status})",
    "ledger_unavailable": "note: costs are not shown ({detail})",
    # cost: sections
    "section_running": "Running now — billing by the hour",
    "section_stored": "Stored — billing per GB-month while kept",
    "section_stopped": "Not billing now",
    "nothing_running": "Nothing is running: no instance is billing by the hour.",
    "free_summary": "{models} model(s) and {configs} endpoint config(s): AWS does not charge for"
    " these.",
    "empty_storage": "{count} empty bucket(s) or log group(s): nothing stored, nothing billed.",
    "col_kind": "Kind",
    "col_name": "Name",
    "col_instances": "Instances",
    "col_status": "Status",
    "col_started": "Started",
    "col_elapsed": "Elapsed",
    "col_rate": "Rate",
    "col_cost": "AWS cost",
    "col_price": "Price",
    "col_size": "Size",
    "col_age": "Stored for",
    "col_action": "Action",
    "col_created": "Created",
    "col_frees": "Frees",
    "kind_TrainingJob": "training job",
    "kind_TransformJob": "transform job",
    "kind_Endpoint": "endpoint",
    "kind_NotebookInstance": "notebook instance",
    "kind_Bucket": "bucket",
    "kind_LogGroup": "log group",
    "kind_Model": "model",
    "kind_EndpointConfig": "endpoint config",
    "price_listed": "list price",
    "price_estimated": "~ estimate from {based_on}",
    "price_missing": "no list price",
    "price_no_charge": "no charge",
    "per_hour": "{money}/h",
    "per_gb_month": "{money}/GB-month",
    "per_gb": "{money}/GB",
    "no_price": "no list price",
    # cost: totals and notes
    "total": "Would have cost on AWS so far: {money} (on-demand list prices, {region}, {currency})",
    "billing_now": "Billing now: {money}/hour (about {per_day}/day) — `tsukuru cleanup` stops it",
    "unpriced": "{count} line(s) have no list price and are not in the total — add a row to a CSV"
    " in {folder} (columns instance_type,usage,usd_per_hour,source,as_of)",
    "estimates": "~ marks an estimate from a listed instance type of the same family",
    "price_problem": "price table: {problem}",
    # cleanup
    "action_delete": "delete",
    "action_stop": "stop",
    "nothing_to_clean": "Nothing to clean up.",
    "kept": "Kept (add --include to delete them too): {what}",
    "kept_models": "{count} model(s)",
    "kept_configs": "{count} endpoint config(s)",
    "kept_buckets": "{count} bucket(s)",
    "kept_logs": "{count} log group(s)",
    "dry_run": "Dry run: nothing was changed.",
    "confirm": "Delete or stop these {count} resource(s)?",
    "failed_one": "could not {action} {kind} {name}: {detail}",
    "freed_nothing": "Nothing was deleted or stopped.",
    "freed": "Freed: {what}.",
    "freed_deleted": "deleted {items}",
    "freed_stopped": "stopped {items}",
    "freed_count": "{count} {kind}(s)",
    "freed_bytes": "{size} of stored data ({objects} object(s))",
    "freed_log_bytes": "{size} of logs",
    "freed_hourly": "{money}/hour no longer billing (would-be AWS on-demand price).",
}


JAPANESE: dict[str, str] = {
    # help texts
    "help_cost": "すべてのリソースを AWS で実行した場合の料金と、現在課金中のものを表示します。",
    "help_cost_json": "料金の一覧を JSON で表示します。",
    "help_cost_all": "モデル、エンドポイント設定、空のバケットやロググループも個別に表示します。",
    "help_cleanup": "課金が続かないよう、エンドポイントを削除し、"
    "ノートブックインスタンスを停止します（--include でほかのものも削除します）。",
    "help_dry_run": "削除・停止する対象を表示するだけで、実際には何も変更しません。",
    "help_yes": "確認を求めずに実行します。",
    "help_older_than": "この期間より前に作成されたリソースだけを対象にします（例: 30m、2h、7d）。",
    "help_include": "これらも削除します（カンマ区切り）: models、configs、buckets、logs。",
    # errors
    "bad_older_than": "エラー: --older-than には数値と単位（s、m、h、d、w）を"
    " 2h のように指定してください。指定された値: {value!r}",
    "bad_include": "エラー: --include に指定できるのは {choices} です。指定された値: {value!r}",
    "ledger_failed": "エラー: {url} のプラットフォームが料金を報告できませんでした"
    "（HTTP {status}）",
    "ledger_unavailable": "注意: 料金は表示されません（{detail}）",
    # cost: sections
    "section_running": "実行中（時間単位で課金）",
    "section_stored": "保存データ（保管している間、GB 月単位で課金）",
    "section_stopped": "現在は課金なし",
    "nothing_running": "実行中のものはありません。"
    "時間単位で課金されているインスタンスはありません。",
    "free_summary": "モデル {models} 個とエンドポイント設定 {configs} 個: "
    "AWS では料金はかかりません。",
    "empty_storage": "空のバケットまたはロググループが {count} 個あります。"
    "保存データがないため課金されません。",
    "col_kind": "種類",
    "col_name": "名前",
    "col_instances": "インスタンス",
    "col_status": "ステータス",
    "col_started": "開始",
    "col_elapsed": "経過時間",
    "col_rate": "単価",
    "col_cost": "AWS での料金",
    "col_price": "価格",
    "col_size": "サイズ",
    "col_age": "保管期間",
    "col_action": "操作",
    "col_created": "作成日時",
    "col_frees": "解放されるもの",
    "kind_TrainingJob": "トレーニングジョブ",
    "kind_TransformJob": "バッチ変換ジョブ",
    "kind_Endpoint": "エンドポイント",
    "kind_NotebookInstance": "ノートブックインスタンス",
    "kind_Bucket": "バケット",
    "kind_LogGroup": "ロググループ",
    "kind_Model": "モデル",
    "kind_EndpointConfig": "エンドポイント設定",
    "price_listed": "公開価格",
    "price_estimated": "~ {based_on} からの推定",
    "price_missing": "公開価格なし",
    "price_no_charge": "無料",
    "per_hour": "{money}/時間",
    "per_gb_month": "{money}/GB 月",
    "per_gb": "{money}/GB",
    "no_price": "公開価格なし",
    # cost: totals and notes
    "total": "これまでに AWS で発生したはずの料金: {money}"
    "（オンデマンドの公開価格、{region}、{currency}）",
    "billing_now": "現在の課金: {money}/時間（1日あたり約 {per_day}）"
    "— `tsukuru cleanup` で止められます",
    "unpriced": "{count} 行は公開価格がないため合計に含まれていません。"
    "{folder} の CSV に行を追加してください（列: instance_type,usage,usd_per_hour,source,as_of）",
    "estimates": "~ は同じファミリーの公開価格があるインスタンスタイプからの推定値です",
    "price_problem": "価格表: {problem}",
    # cleanup
    "action_delete": "削除",
    "action_stop": "停止",
    "nothing_to_clean": "クリーンアップするものはありません。",
    "kept": "残したもの（削除するには --include を指定してください）: {what}",
    "kept_models": "モデル {count} 個",
    "kept_configs": "エンドポイント設定 {count} 個",
    "kept_buckets": "バケット {count} 個",
    "kept_logs": "ロググループ {count} 個",
    "dry_run": "ドライランのため、何も変更していません。",
    "confirm": "これら {count} 件のリソースを削除・停止しますか？",
    "failed_one": "{kind} {name} を{action}できませんでした: {detail}",
    "freed_nothing": "削除・停止したものはありません。",
    "freed": "解放しました: {what}。",
    "freed_deleted": "{items} を削除",
    "freed_stopped": "{items} を停止",
    "freed_count": "{kind} {count} 個",
    "freed_bytes": "保存データ {size}（オブジェクト {objects} 個）",
    "freed_log_bytes": "ログ {size}",
    "freed_hourly": "{money}/時間の課金が止まりました（AWS のオンデマンド価格換算）。",
}


def text(key: str, **values: object) -> str:
    """The message `key` in the locale's language, with `values` filled in."""
    table = JAPANESE if wants_japanese() else ENGLISH
    return table[key].format(**values)
