import type { Texts } from '@selfcare/shared';

/**
 * What delegation tells people, in kk, ru and en. Placeholders: {requester} and {owner} are numbers, {code} a code,
 * {hours} the code's life. Codes appear only in the procedural SMS, never in notices (identity stores those as text).
 */

/** terms 5.4: the version of the offer's wording below; recorded with each request. Change it when the texts change. */
export const OFFER_VERSION = 'management-offer-2026-01';

export const smsTexts = {
  /** terms 5.6.3 (and 5.1 for an owner who is not registered): the offer, with the confirmation code for 4259. */
  confirmationCode: {
    KK: '{requester} абоненті Beeline жеке кабинетінде сіздің нөміріңізді басқаруға рұқсат сұрайды. Келісу үшін {code} кодын 4259 нөміріне жіберіңіз немесе кабинетте растаңыз. Код {hours} сағат жарамды. Сұрауды күтпеген болсаңыз, ештеңе жасамаңыз.',
    RU: 'Абонент {requester} просит право управлять вашим номером в личном кабинете Beeline. Чтобы согласиться, отправьте код {code} на номер 4259 или подтвердите запрос в кабинете. Код действует {hours} ч. Если вы не ждали запроса, ничего не делайте.',
    EN: 'Subscriber {requester} asks to manage your number in the Beeline cabinet. To agree, send the code {code} to 4259 or confirm the request in the cabinet. The code is valid for {hours} h. If you did not expect this, do nothing.',
  },
  /** terms 5.6.5: the activation code, for the owner to give to the requester (terms 5.6.6). */
  activationCode: {
    KK: 'Белсендіру коды: {code}. Оны {requester} абонентіне беріңіз, сонда ол сіздің нөміріңізді басқара алады. Код 24 сағат жарамды, 3 рет қате енгізілсе жойылады.',
    RU: 'Код активации: {code}. Передайте его абоненту {requester}, и он сможет управлять вашим номером. Код действует 24 часа, после 3 неверных вводов аннулируется.',
    EN: 'Activation code: {code}. Give it to subscriber {requester} to let them manage your number. It is valid for 24 hours; 3 wrong entries void it.',
  },
  /** terms 5.6.8 */
  handedOver: {
    KK: 'Нөміріңізді басқару {requester} абонентіне берілді. Оны жеке кабинетте тоқтатуға болады.',
    RU: 'Управление вашим номером передано абоненту {requester}. Прекратить его можно в личном кабинете.',
    EN: 'Management of your number has been handed over to subscriber {requester}. You can end it in your cabinet.',
  },
  /** terms 4.4, to the owner */
  revokedOwner: {
    KK: '{requester} абонентінің нөміріңізді басқару құқығы тоқтатылды.',
    RU: 'Право абонента {requester} управлять вашим номером прекращено.',
    EN: 'Subscriber {requester} can no longer manage your number.',
  },
  /** terms 4.4, to the manager */
  revokedRequester: {
    KK: '{owner} нөмірін басқару құқығыңыз тоқтатылды.',
    RU: 'Ваше право управлять номером {owner} прекращено.',
    EN: 'You can no longer manage the number {owner}.',
  },
} satisfies Record<string, Texts>;

type Notice = { title: Texts; body: Texts };

export const noticeTexts = {
  /** terms 5.1: the request in the owner's cabinet (and by e-mail / SMS per notifyBy) — without the code. */
  requestReceived: {
    title: { KK: 'Нөмірді басқаруға сұрау', RU: 'Запрос на управление номером', EN: 'Request to manage your number' },
    body: {
      KK: '{requester} абоненті сіздің нөміріңізді басқаруға рұқсат сұрайды. Сұрауды кабинетте растаңыз немесе қабылдамаңыз, не SMS-тегі кодты 4259 нөміріне жіберіңіз.',
      RU: 'Абонент {requester} просит право управлять вашим номером. Подтвердите или отклоните запрос в кабинете либо отправьте код из SMS на номер 4259.',
      EN: 'Subscriber {requester} asks to manage your number. Confirm or reject the request in the cabinet, or send the code from the SMS to 4259.',
    },
  },
  confirmed: {
    title: { KK: 'Сұрау расталды', RU: 'Запрос подтверждён', EN: 'Request confirmed' },
    body: {
      KK: '{owner} нөмірінің иесі сұрауыңызды растады. Ол сізге беретін белсендіру кодын енгізіңіз.',
      RU: 'Владелец номера {owner} подтвердил ваш запрос. Введите код активации, который он вам передаст.',
      EN: 'The owner of {owner} confirmed your request. Enter the activation code they give you.',
    },
  },
  rejected: {
    title: { KK: 'Сұрау қабылданбады', RU: 'Запрос отклонён', EN: 'Request rejected' },
    body: {
      KK: '{owner} нөмірінің иесі нөмірді басқаруға сұрауыңызды қабылдамады.',
      RU: 'Владелец номера {owner} отклонил ваш запрос на управление номером.',
      EN: 'The owner of {owner} rejected your request to manage the number.',
    },
  },
  handedOverOwner: {
    title: { KK: 'Нөмірді басқару берілді', RU: 'Управление номером передано', EN: 'Management handed over' },
    body: {
      KK: 'Нөміріңізді енді {requester} абоненті басқарады. Оны кабинетте тоқтатуға болады.',
      RU: 'Теперь вашим номером управляет абонент {requester}. Прекратить это можно в кабинете.',
      EN: 'Subscriber {requester} now manages your number. You can end this in the cabinet.',
    },
  },
  handedOverRequester: {
    title: { KK: 'Нөмірді басқарасыз', RU: 'Вы управляете номером', EN: 'You manage a number' },
    body: {
      KK: 'Сіз енді {owner} нөмірін басқарасыз.',
      RU: 'Теперь вы управляете номером {owner}.',
      EN: 'You now manage the number {owner}.',
    },
  },
  revokedOwner: {
    title: { KK: 'Басқару тоқтатылды', RU: 'Управление прекращено', EN: 'Management ended' },
    body: smsTexts.revokedOwner,
  },
  revokedRequester: {
    title: { KK: 'Басқару тоқтатылды', RU: 'Управление прекращено', EN: 'Management ended' },
    body: smsTexts.revokedRequester,
  },
  cancelled: {
    title: { KK: 'Сұрау қайтарылды', RU: 'Запрос отозван', EN: 'Request withdrawn' },
    body: {
      KK: '{requester} абоненті нөміріңізді басқаруға сұрауын қайтарып алды.',
      RU: 'Абонент {requester} отозвал запрос на управление вашим номером.',
      EN: 'Subscriber {requester} withdrew the request to manage your number.',
    },
  },
  expired: {
    title: { KK: 'Сұраудың мерзімі өтті', RU: 'Срок запроса истёк', EN: 'Request expired' },
    body: {
      KK: '{owner} нөмірін басқаруға сұрауыңыздың мерзімі өтті. Қажет болса, жаңа сұрау жіберіңіз.',
      RU: 'Срок вашего запроса на управление номером {owner} истёк. При необходимости отправьте новый.',
      EN: 'Your request to manage {owner} has expired. Send a new one if you still need it.',
    },
  },
  voided: {
    title: { KK: 'Сұрау жойылды', RU: 'Запрос аннулирован', EN: 'Request voided' },
    body: {
      KK: '{owner} нөмірін басқаруға сұрау код 3 рет қате енгізілгендіктен жойылды. Қажет болса, жаңа сұрау жіберіңіз.',
      RU: 'Запрос на управление номером {owner} аннулирован после 3 неверных вводов кода. При необходимости отправьте новый.',
      EN: 'The request to manage {owner} was voided after 3 wrong codes. Send a new one if you still need it.',
    },
  },
} satisfies Record<string, Notice>;

/** Details of the activity record (terms 2.4) of each party's number. */
export const activityTexts = {
  requested: { KK: '{requester} нөмірді басқаруды сұрады', RU: '{requester} запросил управление номером', EN: '{requester} asked to manage this number' },
  requestSent: { KK: '{owner} нөмірін басқаруға сұрау жіберілді', RU: 'Отправлен запрос на управление номером {owner}', EN: 'Asked to manage {owner}' },
  confirmedBySms: { KK: '{requester} сұрауы 4259 нөміріне SMS арқылы расталды', RU: 'Запрос {requester} подтверждён SMS на 4259', EN: "{requester}'s request confirmed by SMS to 4259" },
  confirmedInCabinet: { KK: '{requester} сұрауы кабинетте расталды', RU: 'Запрос {requester} подтверждён в кабинете', EN: "{requester}'s request confirmed in the cabinet" },
  rejected: { KK: '{requester} сұрауы қабылданбады', RU: 'Запрос {requester} отклонён', EN: "{requester}'s request rejected" },
  handedOver: { KK: 'Нөмірді басқару {requester} абонентіне берілді', RU: 'Управление номером передано {requester}', EN: 'Management handed over to {requester}' },
  activated: { KK: '{owner} нөмірін басқару басталды', RU: 'Начато управление номером {owner}', EN: 'Now managing {owner}' },
  revokedOfOwner: { KK: '{requester} абонентінің басқару құқығы тоқтатылды', RU: 'Прекращено управление номером абонентом {requester}', EN: 'Management by {requester} ended' },
  revokedOfRequester: { KK: '{owner} нөмірін басқару тоқтатылды', RU: 'Прекращено управление номером {owner}', EN: 'Management of {owner} ended' },
  cancelled: { KK: '{owner} нөмірін басқаруға сұрау қайтарылды', RU: 'Отозван запрос на управление номером {owner}', EN: 'Request to manage {owner} withdrawn' },
  expired: { KK: '{owner} нөмірін басқаруға сұраудың мерзімі өтті', RU: 'Истёк запрос на управление номером {owner}', EN: 'Request to manage {owner} expired' },
  voided: { KK: '{owner} нөмірін басқаруға сұрау 3 қате кодтан кейін жойылды', RU: 'Запрос на управление номером {owner} аннулирован после 3 неверных кодов', EN: 'Request to manage {owner} voided after 3 wrong codes' },
} satisfies Record<string, Texts>;

/** A party named in a text: its number, or — a home-internet requester has none — a plain word. */
export const someSubscriber: Texts = { KK: 'Beeline абоненті', RU: 'абонент Beeline', EN: 'a Beeline subscriber' };

/** Refusals (extensions.code is the contract's; these are the specific texts). */
export const refusalTexts = {
  ownNumber: { KK: 'Өз нөміріңізді басқаруды сұрауға болмайды', RU: 'Нельзя запросить управление собственным номером', EN: 'You cannot ask to manage your own number' },
  notBeeline: { KK: 'Бұл Beeline ұялы нөмірі емес', RU: 'Это не мобильный номер Beeline', EN: 'This is not a Beeline mobile number' },
  alreadyManaged: { KK: 'Сіз бұл нөмірді басқарып отырсыз', RU: 'Вы уже управляете этим номером', EN: 'You already manage this number' },
  tooManyByRequester: {
    KK: 'Тәулігіне {max} сұраудан артық жіберуге болмайды',
    RU: 'Можно отправить не более {max} запросов за сутки',
    EN: 'You may send at most {max} requests a day',
  },
  tooManyForOwner: {
    KK: 'Бұл нөмірге тәулігіне {max} сұраудан артық жіберуге болмайды',
    RU: 'На этот номер можно отправить не более {max} запросов за сутки',
    EN: 'This number may receive at most {max} requests a day',
  },
  tooManyLookups: {
    KK: 'Тәулігіне {max} нөмірден артық тексеруге болмайды',
    RU: 'Можно проверить не более {max} номеров за сутки',
    EN: 'You may look up at most {max} numbers a day',
  },
  wrongStatus: {
    KK: 'Сұрау мұны істеуге болмайтын күйде: {status}',
    RU: 'Запрос в статусе, в котором это невозможно: {status}',
    EN: 'The request is {status}: this cannot be done now',
  },
  codeInvalid: {
    KK: 'Код қате, қалған әрекет саны: {attemptsLeft}',
    RU: 'Неверный код, осталось попыток: {attemptsLeft}',
    EN: 'Wrong code, {attemptsLeft} attempts left',
  },
  codeTooLong: { KK: 'Бұл код емес', RU: 'Это не код', EN: 'This is not a code' },
} satisfies Record<string, Texts>;
